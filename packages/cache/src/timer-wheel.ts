import { SlotLists } from './slot-lists.js';

// A hierarchical timing wheel (Varghese & Lauck; Caffeine's `TimerWheel`): level
// `i` has BUCKETS[i] buckets of WIDTHS[i] ms each and holds deadlines less than
// its span (= the next level's bucket width) ahead. A deadline falls into one
// bucket in O(1); as time passes, each bucket whose tick went by is drained:
// entries past their deadline expire, the others cascade to a finer level. Each
// entry cascades at most once per level, so reclaiming costs O(1) amortized per
// entry, whatever the mix of deadlines, and the resolution is WIDTHS[0] ms.
const WIDTHS = [2 ** 6, 2 ** 12, 2 ** 18, 2 ** 24, 2 ** 30] as const;
const BUCKETS = [64, 64, 64, 64, 1] as const;
const LEVELS = WIDTHS.length;
const FIRST_BUCKET = [0, 64, 128, 192, 256] as const;
const TOTAL_BUCKETS = 257;

/**
 * Deadlines of slots, reclaimed in amortized O(1) per slot when time advances,
 * with no timer: the owner calls {@link TimerWheel.advance} on its own writes.
 * A slot is reported at most {@link TimerWheel.RESOLUTION_MS} after its deadline
 * once time has advanced that far.
 *
 * The owner keeps the deadlines (the wheel asks `deadlineOf` for them), so a
 * slot's deadline is stored once, where the owner already needs it, and the
 * wheel adds only its links: 8 bytes per slot.
 */
export class TimerWheel {
  /** How late past its deadline a slot may be reported, in ms. */
  static readonly RESOLUTION_MS = WIDTHS[0];

  readonly #buckets: SlotLists;
  readonly #deadlineOf: (slot: number) => number;
  #now: number;

  /**
   * @param capacity - slots `0..capacity - 1` can be scheduled.
   * @param now - where time starts.
   * @param deadlineOf - the deadline of a slot. While the slot is scheduled it
   *   may change only if {@link reschedule} is called before the wheel is next
   *   used; it must not call back into the wheel.
   */
  constructor(capacity: number, now: number, deadlineOf: (slot: number) => number) {
    this.#buckets = new SlotLists(TOTAL_BUCKETS, capacity);
    this.#deadlineOf = deadlineOf;
    this.#now = now;
  }

  /** Makes room for slots `0..capacity - 1`. */
  grow(capacity: number): void {
    this.#buckets.grow(capacity);
  }

  /** Schedules `slot`, which must not be scheduled, for its deadline. */
  schedule(slot: number): void {
    this.#place(slot);
  }

  /** Moves the scheduled `slot` to its new deadline. */
  reschedule(slot: number): void {
    this.#buckets.remove(slot);
    this.#place(slot);
  }

  /** Forgets `slot`'s deadline. Harmless if it is not scheduled. */
  unschedule(slot: number): void {
    this.#buckets.remove(slot);
  }

  /**
   * Moves time forward to `now` (never back) and calls `expire` with every slot
   * whose deadline has passed, unscheduled, once each.
   */
  advance(now: number, expire: (slot: number) => void): void {
    const previous = this.#now;
    if (now <= previous) return;
    this.#now = now;
    // Slots not yet due cascade to the bucket (usually of a finer level) that
    // their deadline falls into from the new `now`.
    const visit = (slot: number) => {
      if (this.#deadlineOf(slot) <= now) expire(slot);
      else this.#place(slot);
    };
    for (let level = 0; level < LEVELS; level++) {
      const width = WIDTHS[level] as number;
      const previousTick = Math.floor(previous / width);
      const ticks = Math.floor(now / width) - previousTick;
      if (ticks <= 0) return;
      const buckets = BUCKETS[level] as number;
      // The bucket of the previous tick too: it may hold deadlines before `now`.
      const steps = Math.min(ticks + 1, buckets);
      for (let step = 0; step < steps; step++) {
        const bucket = (FIRST_BUCKET[level] as number) + modulo(previousTick + step, buckets);
        this.#buckets.drain(bucket, visit);
      }
    }
  }

  /** Forgets every deadline; time restarts at `now`. */
  clear(now: number): void {
    this.#buckets.clear();
    this.#now = now;
  }

  #place(slot: number): void {
    // A deadline already past goes into the current tick's bucket, which the
    // next advance drains first.
    const deadline = Math.max(this.#deadlineOf(slot), this.#now);
    const ahead = deadline - this.#now;
    let level = 0;
    while (level < LEVELS - 1 && ahead >= (WIDTHS[level + 1] as number)) level++;
    const bucket =
      (FIRST_BUCKET[level] as number) +
      modulo(Math.floor(deadline / (WIDTHS[level] as number)), BUCKETS[level] as number);
    this.#buckets.pushBack(bucket, slot);
  }
}

/** `value mod divisor` in `0..divisor - 1`, negative times (a clock's origin is arbitrary) included. */
function modulo(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}
