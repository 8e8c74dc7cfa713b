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
// event-loop iteration and shares the reading with every cache in the process.
// The immediate that forgets the reading stays ref'd on purpose: a pending ref'd
// immediate keeps the loop from blocking in its poll phase, so the next I/O
// callback after an idle spell never sees a reading taken before it. (An
// unref'd one would, for as long as the loop sat idle.) It delays exit by one
// loop iteration at most.
let turnTime: number | undefined;
const forgetTurnTime = (): void => {
  turnTime = undefined;
};

/**
 * The default clock: `performance.now()`, which is monotonic, so a wall-clock
 * adjustment (NTP, a VM resuming) can neither expire every entry at once nor
 * keep entries alive for too long.
 *
 * It is read at most once per event-loop iteration: the first reading is
 * reused until a `setImmediate` (one per iteration, run in the same iteration's
 * check phase, so it never holds the process open for longer) forgets it. Time
 * therefore stands still within one iteration, microtasks included: an entry
 * may be served for as long past its expiry as the current iteration has been
 * running, which a long synchronous task or an endless chain of microtasks
 * stretches. Under fake timers that also fake `setImmediate`, the reading is
 * never forgotten; inject a clock there. Inject
 * `{ now: () => performance.now() }` to read the clock on every call instead.
 */
export const monotonicClock: Clock = Object.freeze({
  now(): number {
    if (turnTime === undefined) {
      turnTime = performance.now();
      setImmediate(forgetTurnTime);
    }
    return turnTime;
  },
});
