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
 * A clock that reads `performance.now()` at most once per task: the first
 * reading in a task (a timer, immediate or I/O callback, with every microtask
 * and `process.nextTick` callback it leads to) is reused until that task ends,
 * and forgotten before the next one starts. `performance.now()` is monotonic,
 * so a wall-clock adjustment (NTP, a VM resuming) can neither expire every
 * entry at once nor keep entries alive for too long.
 *
 * Why: on this class of machine one `performance.now()` costs 50-100 ns, more
 * than the rest of a cache hit together, and a task that serves many hits
 * (a loop of `await cache.get(key)`) needs one reading, not one per hit.
 *
 * How: the first reading queues a microtask that queues a `process.nextTick`
 * callback, which forgets it. Node drains the tick queue before moving on to
 * the next callback, whichever phase of the loop it is in, so the reading never
 * reaches another task. A tick queued from a microtask runs only once the
 * microtask queue is empty, so the reading lasts through the task's whole chain
 * of promise callbacks and awaits (a tick queued directly would run before the
 * microtasks a callback queued, and a value committed there would read a
 * clock other than the one its load answered on).
 * (An earlier design forgot the reading in a `setImmediate`, once per loop
 * iteration; a reading first taken in an immediate then survived into the
 * next iteration's timers.)
 *
 * The bound: a reading is at most as old as the task that reads it has been
 * running, so an entry is served past its expiry by at most that long. A long
 * synchronous task, or an endless chain of microtasks, stretches it. Under fake
 * timers that fake `queueMicrotask` or `process.nextTick`, the reading may
 * never be forgotten; inject a
 * clock there. Inject `{ now: () => performance.now() }` to read the clock on
 * every call instead.
 *
 * @example
 * const clock = new TaskClock();
 * const cache = new L1Cache(source, { clock }); // what the default does, with a clock of its own
 */
export class TaskClock implements Clock {
  #reading: number | undefined;
  readonly #forget = (): void => {
    this.#reading = undefined;
  };
  readonly #forgetOnceMicrotasksAreDone = (): void => {
    process.nextTick(this.#forget);
  };

  /** The time at the first call in the current task, in ms from `performance.timeOrigin`. */
  now(): number {
    if (this.#reading !== undefined) return this.#reading;
    const reading = performance.now();
    this.#reading = reading;
    queueMicrotask(this.#forgetOnceMicrotasksAreDone);
    return reading;
  }
}

/**
 * The default clock, shared by every cache in the process: a {@link TaskClock},
 * so `performance.now()` is read at most once per task, whatever the number of
 * caches and hits.
 */
export const monotonicClock: Clock = Object.freeze(new TaskClock());
