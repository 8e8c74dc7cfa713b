import { NO_SLOT, SlotList } from './slot-list.js';

const INITIAL_CAPACITY = 64;
// On writes, reclaim at most this many expired entries: enough to outpace one
// insert, small enough that no single write pays for a mass expiry.
const RECLAIM_PER_WRITE = 32;

/**
 * The committed entries: key → value, its already-settled promise and its expiry
 * time, with least-recently-used eviction at `maxEntries`.
 *
 * Entries live in numbered slots. A `Map` finds a key's slot; parallel arrays
 * hold the slot's key, value, promise and expiry; two {@link SlotList}s order
 * the slots, one by recency (front = least recently used, the eviction victim)
 * and one by commit time. Every entry has the same TTL, so commit order is
 * expiry order and the expired entries are always a prefix of the second list:
 * reclaiming them costs O(1) each and needs no timer and no scan.
 *
 * Typed-array reads are cast to `number`: slots are in bounds by construction.
 */
export class EntryStore<K, V> {
  readonly #maxEntries: number;
  readonly #slotOf = new Map<K, number>();
  #keys: Array<K | undefined> = [];
  #values: Array<V | undefined> = [];
  #promises: Array<Promise<V> | undefined> = [];
  #expiresAt: Float64Array;
  readonly #byRecency: SlotList;
  readonly #byExpiry: SlotList;
  #capacity: number;
  /** Slots freed by deletion, reused before fresh ones. */
  #freeSlots: number[] = [];
  /** The lowest slot never used since the last `clear()`. */
  #nextFreshSlot = 1;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
    this.#capacity = Math.min(maxEntries, INITIAL_CAPACITY);
    this.#expiresAt = new Float64Array(this.#capacity + 1);
    this.#byRecency = new SlotList(this.#capacity);
    this.#byExpiry = new SlotList(this.#capacity);
  }

  /** Entries held, expired ones not yet reclaimed included. */
  get size(): number {
    return this.#slotOf.size;
  }

  /**
   * The settled promise of `key`'s entry if it is fresh at `now`, marking it most
   * recently used. An expired entry is deleted on the spot.
   */
  hit(key: K, now: number): Promise<V> | undefined {
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return undefined;
    if ((this.#expiresAt[slot] as number) <= now) {
      this.#deleteSlot(key, slot);
      return undefined;
    }
    this.#byRecency.moveToBack(slot);
    return this.#promises[slot];
  }

  /** The value of `key`'s entry if it is fresh at `now`; changes nothing. */
  peek(key: K, now: number): V | undefined {
    const slot = this.#slotOf.get(key);
    if (slot === undefined || (this.#expiresAt[slot] as number) <= now) return undefined;
    return this.#values[slot];
  }

  /**
   * Stores `value` (and `promise`, already settled with it) for `key` until
   * `expiresAt`, which must not precede the expiry of any entry already held.
   * Reclaims expired entries first, then evicts the least recently used entry
   * if the store is still full.
   */
  set(key: K, value: V, promise: Promise<V>, now: number, expiresAt: number): void {
    let slot = this.#slotOf.get(key);
    if (slot === undefined) {
      this.reclaimExpired(now, RECLAIM_PER_WRITE);
      if (this.#slotOf.size >= this.#maxEntries) this.#evictLeastRecentlyUsed();
      slot = this.#allocateSlot();
      this.#slotOf.set(key, slot);
      this.#keys[slot] = key;
      this.#byRecency.pushBack(slot);
      this.#byExpiry.pushBack(slot);
    } else {
      this.#byRecency.moveToBack(slot);
      this.#byExpiry.moveToBack(slot);
    }
    this.#values[slot] = value;
    this.#promises[slot] = promise;
    this.#expiresAt[slot] = expiresAt;
  }

  /** Deletes `key`'s entry; returns whether there was one. */
  delete(key: K): boolean {
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return false;
    this.#deleteSlot(key, slot);
    return true;
  }

  /** Deletes up to `limit` entries that have expired at `now`, oldest first. */
  reclaimExpired(now: number, limit: number): void {
    for (let reclaimed = 0; reclaimed < limit; reclaimed++) {
      const slot = this.#byExpiry.first;
      if (slot === NO_SLOT || (this.#expiresAt[slot] as number) > now) return;
      this.#deleteSlot(this.#keys[slot] as K, slot);
    }
  }

  /** Deletes every entry and lets go of every key and value. */
  clear(): void {
    this.#slotOf.clear();
    this.#keys = [];
    this.#values = [];
    this.#promises = [];
    this.#freeSlots = [];
    this.#nextFreshSlot = 1;
    this.#byRecency.clear();
    this.#byExpiry.clear();
  }

  #evictLeastRecentlyUsed(): void {
    const slot = this.#byRecency.first;
    this.#deleteSlot(this.#keys[slot] as K, slot);
  }

  #deleteSlot(key: K, slot: number): void {
    this.#slotOf.delete(key);
    this.#byRecency.remove(slot);
    this.#byExpiry.remove(slot);
    // Drop references at once so evicted values can be collected.
    this.#keys[slot] = undefined;
    this.#values[slot] = undefined;
    this.#promises[slot] = undefined;
    this.#freeSlots.push(slot);
  }

  #allocateSlot(): number {
    const reused = this.#freeSlots.pop();
    if (reused !== undefined) return reused;
    if (this.#nextFreshSlot > this.#capacity) this.#grow();
    return this.#nextFreshSlot++;
  }

  // Capacity doubles up to maxEntries, so memory follows the entries actually
  // held and a large bound costs nothing until it is used.
  #grow(): void {
    this.#capacity = Math.min(this.#maxEntries, this.#capacity * 2);
    const expiresAt = new Float64Array(this.#capacity + 1);
    expiresAt.set(this.#expiresAt);
    this.#expiresAt = expiresAt;
    this.#byRecency.grow(this.#capacity);
    this.#byExpiry.grow(this.#capacity);
  }
}
