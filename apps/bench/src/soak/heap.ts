import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * Heap in use after full garbage collections, in MB. Works without
 * `node --expose-gc`: the flag is set at run time and `gc` is taken from a
 * fresh context, where V8 then installs it.
 */
export function heapUsedAfterGcMb(): number {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  // More than once: a pass may only run finalizers and weak callbacks whose
  // memory the next pass frees.
  for (let pass = 0; pass < 2; pass++) gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}
