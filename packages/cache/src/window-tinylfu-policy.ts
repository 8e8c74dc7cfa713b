import type { EvictionPolicy } from './eviction-policy.js';
import { FrequencySketch } from './frequency-sketch.js';
import { NO_SLOT, SlotLists } from './slot-lists.js';

// Segments, each an LRU list: new entries land in the small window; entries
// evicted from the window must win admission into the main area, whose
// probation part holds entries seen once there and whose protected part holds
// entries used again.
const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;
const WINDOW_SHARE = 0.01;
const PROTECTED_SHARE = 0.8;
// A candidate this popular still gets in now and then, even against a more
// popular victim, so an attacker cannot pin the victim by inflating its
// estimate through hash collisions (Caffeine's defence against hash flooding).
const HASH_FLOOD_THRESHOLD = 6;
const HASH_FLOOD_ADMIT_ONE_IN = 128;
// Where the main area's victim is looked for, in order; the window is the last
// resort of a cache too small to have a main area.
const VICTIM_SEGMENTS = [PROBATION, PROTECTED, WINDOW] as const;

/**
 * W-TinyLFU (Einziger, Friedman & Manes; Caffeine's default): a 1 % LRU window
 * absorbs bursts of new keys, and a segmented LRU main area (80 % protected,
 * 20 % probation) keeps what is popular. An entry evicted from the window only
 * enters the main area if a frequency sketch says it has been seen more often
 * recently than the main area's own victim; otherwise it is the one to go. One-
 * off keys (a scan, an attacker's random agent ids) therefore pass through the
 * window without displacing the hot set.
 *
 * Every operation is O(1); a hit costs one sketch increment (the key's hash is
 * computed once, at insertion) and a move between lists. A key whose counters
 * are all saturated gains nothing from more increments until the sketch halves
 * its counts, so the policy remembers that per slot and skips the sketch on
 * such a key's hits: a hot key's hit costs a move between lists only.
 */
export class WindowTinyLfuPolicy implements EvictionPolicy {
  readonly #segments: SlotLists;
  readonly #maxEntries: number;
  #sketch: FrequencySketch;
  #segmentOf: Uint8Array;
  #hashOf: Uint32Array;
  /** Per slot, 1 while its key's counters are known to be saturated. */
  #saturated: Uint8Array;
  readonly #windowMax: number;
  readonly #protectedMax: number;
  #windowSize = 0;
  #protectedSize = 0;
  /** The entry last moved out of the window, if it has not been decided on. */
  #candidate = NO_SLOT;
  /** The entry inserted last: never the victim, so a load is always stored. */
  #newest = NO_SLOT;

  constructor(maxEntries: number, capacity: number) {
    this.#segments = new SlotLists(3, capacity);
    this.#maxEntries = maxEntries;
    this.#sketch = this.#newSketch(capacity);
    this.#segmentOf = new Uint8Array(capacity);
    this.#hashOf = new Uint32Array(capacity);
    this.#saturated = new Uint8Array(capacity);
    this.#windowMax = Math.max(1, Math.round(maxEntries * WINDOW_SHARE));
    this.#protectedMax = Math.round((maxEntries - this.#windowMax) * PROTECTED_SHARE);
  }

  onInsert(slot: number, hash: number): void {
    this.#newest = slot;
    this.#hashOf[slot] = hash;
    this.#saturated[slot] = 0;
    this.#recordUse(slot);
    this.#segmentOf[slot] = WINDOW;
    this.#segments.pushBack(WINDOW, slot);
    if (++this.#windowSize > this.#windowMax) {
      const overflow = this.#segments.first(WINDOW);
      this.#moveTo(PROBATION, overflow);
      this.#windowSize--;
      this.#candidate = overflow;
    }
  }

  onAccess(slot: number): void {
    this.#recordUse(slot);
    this.#touch(slot);
  }

  onUpdate(slot: number): void {
    this.onAccess(slot);
  }

  onRemove(slot: number): void {
    const segment = this.#segmentOf[slot];
    if (segment === WINDOW) this.#windowSize--;
    else if (segment === PROTECTED) this.#protectedSize--;
    if (this.#candidate === slot) this.#candidate = NO_SLOT;
    if (this.#newest === slot) this.#newest = NO_SLOT;
    this.#segments.remove(slot);
  }

  /**
   * The window's latest overflow (the candidate) against the main area's least
   * recently used probation entry (the victim): the less frequently seen one
   * goes. On a tie the victim goes, as plain LRU would evict it; that costs a
   * fraction of a point of hit ratio against Caffeine's choice (the victim
   * stays) and keeps lightly used caches behaving as users of an LRU expect.
   */
  victim(): number {
    const candidate = this.#candidate;
    this.#candidate = NO_SLOT;
    const victim = this.#mainVictim(candidate);
    if (candidate === NO_SLOT) return victim;
    if (victim === NO_SLOT) return candidate;
    return this.#admit(candidate, victim) ? victim : candidate;
  }

  grow(capacity: number): void {
    // The sketch follows the store's growth, so a large bound costs nothing
    // until it is used; counts gathered so far are few and are dropped.
    this.#sketch = this.#newSketch(capacity);
    this.#segments.grow(capacity);
    this.#segmentOf = grown(this.#segmentOf, new Uint8Array(capacity));
    this.#hashOf = grown(this.#hashOf, new Uint32Array(capacity));
    this.#saturated = new Uint8Array(capacity);
  }

  clear(): void {
    this.#segments.clear();
    this.#sketch.clear();
    this.#saturated.fill(0);
    this.#windowSize = 0;
    this.#protectedSize = 0;
    this.#candidate = NO_SLOT;
    this.#newest = NO_SLOT;
  }

  /**
   * Counts a use of `slot`'s key in the sketch, unless its counters are known
   * to be saturated, when the increment would change nothing.
   */
  #recordUse(slot: number): void {
    if (this.#saturated[slot] !== 0) return;
    if (!this.#sketch.increment(this.#hashOf[slot] as number)) this.#saturated[slot] = 1;
  }

  /** A sketch for a store of `capacity` slots; halving its counts clears the saturation marks. */
  #newSketch(capacity: number): FrequencySketch {
    return new FrequencySketch(Math.min(capacity, this.#maxEntries), () => this.#saturated.fill(0));
  }

  #touch(slot: number): void {
    switch (this.#segmentOf[slot]) {
      case WINDOW:
        this.#segments.moveToBack(WINDOW, slot);
        return;
      case PROBATION:
        this.#moveTo(PROTECTED, slot);
        if (++this.#protectedSize > this.#protectedMax) {
          this.#moveTo(PROBATION, this.#segments.first(PROTECTED));
          this.#protectedSize--;
        }
        return;
      default:
        this.#segments.moveToBack(PROTECTED, slot);
    }
  }

  /** The main area's eviction victim other than `candidate` and the newest entry, or NO_SLOT. */
  #mainVictim(candidate: number): number {
    for (const segment of VICTIM_SEGMENTS) {
      const first = this.#segments.first(segment);
      if (first !== NO_SLOT && first !== candidate && first !== this.#newest) return first;
    }
    return NO_SLOT;
  }

  #admit(candidate: number, victim: number): boolean {
    const candidateFrequency = this.#sketch.frequency(this.#hashOf[candidate] as number);
    const victimFrequency = this.#sketch.frequency(this.#hashOf[victim] as number);
    if (candidateFrequency >= victimFrequency) return true;
    return (
      candidateFrequency >= HASH_FLOOD_THRESHOLD &&
      Math.floor(Math.random() * HASH_FLOOD_ADMIT_ONE_IN) === 0
    );
  }

  #moveTo(segment: number, slot: number): void {
    this.#segments.remove(slot);
    this.#segments.pushBack(segment, slot);
    this.#segmentOf[slot] = segment;
  }
}

function grown<T extends Uint8Array | Uint32Array>(array: T, larger: T): T {
  larger.set(array);
  return larger;
}
