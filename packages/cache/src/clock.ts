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

// On this class of machine one performance.now() costs 50-100 ns, more than the
// rest of a cache hit together, so the default clock reads it at most once per
// event-loop turn and shares the reading with every cache in the process.
let turnTime: number | undefined;
const forgetTurnTime = (): void => {
  turnTime = undefined;
};

/**
 * The default clock: `performance.now()`, which is monotonic, so a wall-clock
 * adjustment (NTP, a VM resuming) can neither expire every entry at once nor
 * keep entries alive for too long.
 *
 * It is read at most once per event-loop turn: the first reading in a turn is
 * reused until an unref'd `setImmediate` (one per turn, never keeping the
 * process alive) forgets it. Time therefore stands still within one turn,
 * microtasks included, so an entry may be served for as long past its expiry as
 * the turn that reads it has been running; requests arriving on I/O each start
 * a new turn. Inject `{ now: () => performance.now() }` to read the clock on
 * every call instead.
 */
export const monotonicClock: Clock = Object.freeze({
  now(): number {
    if (turnTime === undefined) {
      turnTime = performance.now();
      setImmediate(forgetTurnTime).unref();
    }
    return turnTime;
  },
});
