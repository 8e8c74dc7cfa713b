/**
 * Heap in use once garbage has been collected: V8's `heapUsed` plus the
 * backing stores of `ArrayBuffer`s (typed arrays), which live outside the V8
 * heap but are memory a cache holds all the same (lru-cache and `@aa/cache`
 * keep their bookkeeping in typed arrays).
 *
 * Lets pending callbacks run and collects twice, so promise jobs,
 * timers and weak references from the work just done are gone.
 *
 * @throws {Error} unless the process runs with `--expose-gc`.
 */
export async function settledHeapBytes(): Promise<number> {
  const collect = globalThis.gc;
  if (collect === undefined) throw new Error('Expected the worker to run with --expose-gc');
  for (let round = 0; round < 2; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    collect();
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
