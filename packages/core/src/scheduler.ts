/**
 * Where time is read and timers are set: the one thing every wait of a
 * component goes through (the cache's expiry and load deadlines, an
 * invalidation subscriber's backoff, heartbeats and deadlines), so a test can
 * drive them all (`ManualScheduler` from `@aa/testing`) and an application can
 * share one between components. `now` must be monotonic; `setTimeout` returns a
 * handle that `clearTimeout` accepts, and its timers must not keep the process
 * alive.
 */
export interface Scheduler {
  /** The current time in milliseconds from an arbitrary, fixed origin; never goes backwards. */
  now(): number;
  /** Calls `callback` once, `ms` milliseconds from now, unless cleared first. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer set by {@link Scheduler.setTimeout}; harmless once it has fired. */
  clearTimeout(timer: unknown): void;
}

/**
 * The default scheduler: `performance.now()` for the time and Node's timers,
 * `unref()`'d, for the waits.
 */
export const systemScheduler: Scheduler = Object.freeze({
  now: (): number => performance.now(),
  setTimeout(callback: () => void, ms: number): unknown {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(timer: unknown): void {
    clearTimeout(timer as ReturnType<typeof setTimeout>);
  },
});
