import { type Clock, monotonicClock } from './clock.js';

/**
 * Where time is read and timers are set: the one thing every wait of the cache
 * goes through, so a test can drive them all (`ManualScheduler` from
 * `@aa/testing`) and an application can share one with the other components
 * that wait (invalidation transports, for instance). `now` must be monotonic;
 * `setTimeout` returns a handle that `clearTimeout` accepts, and its timers must
 * not keep the process alive.
 */
export interface Scheduler extends Clock {
  /** Calls `callback` once, `ms` milliseconds from now, unless cleared first. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer set by {@link setTimeout}; harmless once it has fired. */
  clearTimeout(timer: unknown): void;
}

/**
 * The default scheduler: {@link monotonicClock} for the time and Node's timers,
 * `unref()`'d, for the waits.
 */
export const systemScheduler: Scheduler = Object.freeze({
  now: (): number => monotonicClock.now(),
  setTimeout(callback: () => void, ms: number): unknown {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(timer: unknown): void {
    clearTimeout(timer as ReturnType<typeof setTimeout>);
  },
});
