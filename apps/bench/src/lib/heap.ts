import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * Two full garbage collections, now, in this task. Works with or without
 * `node --expose-gc`: without it the flag is set at run time and `gc` taken
 * from a fresh context, where V8 then installs it.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    gc = globalThis.gc;
    if (gc === undefined) {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    }
  }
  // More than once: a pass may only run finalizers and weak callbacks whose
  // memory the next pass frees.
  for (let pass = 0; pass < 2; pass++) gc();
}

/**
 * Heap in use: V8's `heapUsed` plus the backing stores of `ArrayBuffer`s
 * (typed arrays), which live outside the V8 heap but are memory a cache holds
 * all the same (lru-cache and `@aa/cache` keep their bookkeeping in typed
 * arrays). Read it after {@link collectGarbage}.
 */
export function heapBytes(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/**
 * {@link heapBytes} once garbage has been collected, after letting pending
 * callbacks run first (twice), so promise jobs, timers and weak references
 * from the work just done are gone too.
 */
export async function settledHeapBytes(): Promise<number> {
  for (let round = 0; round < 2; round++) {
    await yieldToEventLoop();
    collectGarbage();
  }
  return heapBytes();
}
