import { describeValue, type Scheduler } from '@aa/core';
import { ManualClock } from './manual-clock.js';

/** A timer of a {@link ManualScheduler}: what `setTimeout` returns. */
export interface ManualTimer {
  /** When it fires, on the scheduler's clock. */
  readonly dueAt: number;
}

interface PendingTimer extends ManualTimer {
  readonly callback: () => void;
  /** Order of scheduling, so timers due at once fire in the order they were set. */
  readonly sequence: number;
}

/**
 * A clock and a timer queue that move only when a test moves them: the
 * `{ now, setTimeout, clearTimeout }` scheduler that code with injectable time
 * takes (the cache's `scheduler` option), so that expiry, load timeouts and
 * backoff can be tested without faking global timers or sleeping.
 *
 * {@link advance} and {@link set} move the clock forward and fire every timer
 * that falls due on the way, in deadline order (ties in the order they were
 * set), each at its own deadline: `now()` inside a callback reads the time it
 * was due. Timers that a callback sets and that fall due before the target
 * fire in the same call. Nothing here keeps a process alive.
 *
 * @example
 * const scheduler = new ManualScheduler();
 * const cache = new L1Cache(source, { scheduler, loadTimeoutMs: 1_000 });
 * const read = cache.get(id);
 * scheduler.advance(1_000); // the load times out now
 * await expect(read).rejects.toBeInstanceOf(LoadTimeoutError);
 */
export class ManualScheduler extends ManualClock implements Scheduler {
  readonly #timers = new Set<PendingTimer>();
  #sequence = 0;

  /** Timers set and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Calls `callback` once the clock has been moved `ms` on (at once, on the
   * next move, for `ms <= 0`).
   *
   * @throws {TypeError} when `callback` is not a function or `ms` is not a number.
   */
  setTimeout(callback: () => void, ms: number): ManualTimer {
    if (typeof callback !== 'function') {
      throw new TypeError(`Expected \`callback\` to be a function, got ${describeValue(callback)}`);
    }
    if (typeof ms !== 'number' || Number.isNaN(ms)) {
      throw new TypeError(`Expected \`ms\` to be a number, got ${describeValue(ms)}`);
    }
    const timer: PendingTimer = {
      callback,
      dueAt: this.now() + Math.max(ms, 0),
      sequence: this.#sequence++,
    };
    this.#timers.add(timer);
    return timer;
  }

  /** Forgets `timer`, which then never fires; harmless for one that fired or was cleared. */
  clearTimeout(timer: unknown): void {
    this.#timers.delete(timer as PendingTimer);
  }

  /**
   * Moves the clock forward by `ms`, firing every timer due on the way.
   * @throws {TypeError} when `ms` is negative or not a finite number; nothing moves.
   */
  override advance(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new TypeError(`Expected \`ms\` to be a finite number >= 0, got ${describeValue(ms)}`);
    }
    this.set(this.now() + ms);
  }

  /**
   * Moves the clock to `ms`, firing every timer due by then.
   * @throws {TypeError} when `ms` is not a finite number or is earlier than `now()`.
   */
  override set(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < this.now()) {
      // The clock's own message says what was expected.
      super.set(ms);
      return;
    }
    for (let timer = this.#nextDue(ms); timer !== undefined; timer = this.#nextDue(ms)) {
      this.#timers.delete(timer);
      super.set(Math.max(timer.dueAt, this.now()));
      timer.callback();
    }
    super.set(ms);
  }

  /** The timer due first, by `until`, if any. */
  #nextDue(until: number): PendingTimer | undefined {
    let next: PendingTimer | undefined;
    for (const timer of this.#timers) {
      if (timer.dueAt > until) continue;
      if (
        next === undefined ||
        timer.dueAt < next.dueAt ||
        (timer.dueAt === next.dueAt && timer.sequence < next.sequence)
      ) {
        next = timer;
      }
    }
    return next;
  }
}
