import { describeValue } from '@aa/core';

/**
 * A clock that moves only when a test moves it, for code that takes an
 * injectable `{ now(): number }` (the cache's clock) so that expiry can be
 * tested without waiting or faking global timers. Monotonic, like
 * `performance.now()`: it never goes backwards.
 *
 * @example
 * const clock = new ManualClock();
 * const cache = new L1Cache(store, { ttlMs: 1_000, clock });
 * await cache.get(id);
 * clock.advance(1_000); // the entry is now expired
 */
export class ManualClock {
  #now: number;

  /**
   * @param startMs - the time `now()` reports until the clock is moved.
   * @default 0
   * @throws {TypeError} when `startMs` is not a finite number.
   */
  constructor(startMs = 0) {
    if (typeof startMs !== 'number' || !Number.isFinite(startMs)) {
      throw new TypeError(
        `Expected \`startMs\` to be a finite number, got ${describeValue(startMs)}`,
      );
    }
    this.#now = startMs;
  }

  /** The current time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /**
   * Moves the clock forward by `ms` milliseconds; `0` is allowed.
   * @throws {TypeError} when `ms` is negative or not a finite number; the clock
   *   does not move.
   */
  advance(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new TypeError(`Expected \`ms\` to be a finite number >= 0, got ${describeValue(ms)}`);
    }
    this.#now += ms;
  }

  /**
   * Moves the clock to the absolute time `ms`, which may equal but not precede
   * the current time.
   * @throws {TypeError} when `ms` is not a finite number or is earlier than
   *   `now()`; the clock does not move.
   */
  set(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < this.#now) {
      throw new TypeError(
        `Expected \`ms\` to be a finite number >= ${this.#now} (the clock is monotonic), got ${describeValue(ms)}`,
      );
    }
    this.#now = ms;
  }
}
