/**
 * Where the cache reads the time, in milliseconds. Only differences between two
 * readings matter, so the origin is arbitrary; readings must never go backwards.
 * Inject one (for example `ManualClock` from `@aa/testing`) to test expiry
 * without sleeping.
 */
export interface Clock {
  /** The current time in milliseconds from an arbitrary, fixed origin. */
  now(): number;
}

/**
 * The default clock: `performance.now()`, which is monotonic, so a wall-clock
 * adjustment (NTP, a VM resuming) can neither expire every entry at once nor
 * keep entries alive for too long.
 */
export const monotonicClock: Clock = Object.freeze({ now: () => performance.now() });
