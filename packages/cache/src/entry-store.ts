import type { RemovalCause } from './diagnostics.js';
import type { EvictionPolicy, EvictionPolicyFactory } from './eviction-policy.js';
import { evictionPolicyFor } from './eviction-policy-factory.js';
import { type Freshness, StaleUse } from './freshness.js';
import { hashKey } from './key-hash.js';
import { L1_CACHE_DEFAULTS } from './options.js';
import { TimerWheel } from './timer-wheel.js';

const INITIAL_CAPACITY = 64;

/** Why entries left the store on their own or were replaced, counted for `stats()`. */
export interface RemovalCounts {
  /** Entries evicted to stay within `maxEntries`. */
  readonly evictions: number;
  /** Entries removed because they outlived every window they could be served in. */
  readonly expirations: number;
  /** Entries replaced by a newer load of their key. */
  readonly replacements: number;
}

/** Who hears of each entry that leaves the store, and whether it wants to. */
export interface RemovalListener<K> {
  /** Whether removals are to be reported now; asked before recording each one. */
  wants(): boolean;
  /**
   * `key`'s entry left for `cause`. Called once the store is consistent again,
   * at the end of the store method that removed it: it may call the store.
   */
  removed(key: K, cause: RemovalCause): void;
}

/** A value a get may answer with although it is no longer fresh. */
export interface StaleAnswer<V> {
  /** The entry's settled promise, fulfilled with the stale value. */
  readonly promise: Promise<V>;
  /** Whether a background refresh of the key should start (stale-while-revalidate). */
  readonly refresh: boolean;
}

/** The stale value a failed load may be answered with (fail-safe). */
export interface Fallback<V> {
  readonly value: V;
}

/**
 * The committed entries: key → value (or a remembered `NotFound`), the settled
 * promise hits are given, when it stops being fresh, and when it may go, with
 * an eviction policy at `maxEntries`.
 *
 * Entries live in numbered slots. A `Map` finds a key's slot; parallel arrays
 * hold the slot's key, value, promise and freshness deadline; linked lists over
 * the slots order them for eviction (an {@link EvictionPolicy}); a
 * {@link TimerWheel} orders them by removal deadline (the freshness deadline
 * plus the stale window, none for a negative entry; derived, not stored), so
 * expired entries are reclaimed in amortized O(1) on writes, with no timer and
 * whatever the mix of TTLs. Capacity doubles up to `maxEntries`, so memory
 * follows the entries actually held.
 *
 * Callers ask intention-level questions (is there a fresh entry; what may a
 * get do with a stale one; what does a failed load fall back to) and commit
 * outcomes; slots never leave the store, so no caller can hold one across a
 * call into user code. The rules behind the answers live in {@link Freshness}.
 *
 * Typed-array reads are cast to `number`: slots are in bounds by construction.
 */
export class EntryStore<K, V> {
  readonly #maxEntries: number;
  readonly #freshness: Freshness<K, V>;
  readonly #slotOf = new Map<K, number>();
  // The slot arrays are allocated at the capacity and grown with it, rather
  // than by V8 as they are written (by half again each time), so they hold
  // no more than the typed arrays beside them.
  #keys: Array<K | undefined>;
  /** Per slot, the value; `undefined` for a negative entry. */
  #values: Array<V | undefined>;
  /**
   * The slots holding a remembered `NotFound` rather than a value; usually
   * none. Kept aside, not as a marker value, so `peek` reads a value without
   * testing it (a marker test measured 1.5 ns of its 11).
   */
  readonly #negativeSlots = new Set<number>();
  /**
   * Per slot, the settled promise every hit returns, so hits allocate nothing.
   * A value's promise is made on its first hit rather than at commit: an entry
   * never read again (a scan, a key flood) then costs no promise, about 48 bytes.
   */
  #promises: Array<Promise<V> | undefined>;
  #freshUntil: Float64Array;
  /** Per slot, when a failed reload may be retried; allocated only for fail-safe caches. */
  #retryAt: Float64Array | undefined;
  readonly #policy: EvictionPolicy;
  readonly #removal: TimerWheel;
  #capacity: number;
  /** Slots freed by deletion, reused before fresh ones. */
  #freeSlots: number[] = [];
  /** The lowest slot never used since the last `clear()`. */
  #nextFreshSlot = 0;
  #evictions = 0;
  #expirations = 0;
  #replacements = 0;
  readonly #listener: RemovalListener<K> | undefined;
  /** Removals to report once the current store method is done; usually none. */
  #pendingKeys: K[] = [];
  #pendingCauses: RemovalCause[] = [];
  readonly #expireSlot = (slot: number): void => {
    this.#expirations++;
    this.#removeSlot(slot, 'expired');
  };

  /**
   * @param maxEntries - the most entries held.
   * @param now - the current time, where the removal wheel starts.
   * @param freshness - the rules of freshness, stale windows, fail-safe and
   *   negative caching; a retry time is kept per entry only when it tracks them.
   * @param policy - builds the policy that picks which entry is evicted when
   *   the store is full.
   * @default policy - W-TinyLFU, the cache's own default.
   * @param listener - told of each entry that leaves, with its cause.
   */
  constructor(
    maxEntries: number,
    now: number,
    freshness: Freshness<K, V>,
    policy: EvictionPolicyFactory = evictionPolicyFor(L1_CACHE_DEFAULTS.evictionPolicy, maxEntries),
    listener?: RemovalListener<K>,
  ) {
    this.#maxEntries = maxEntries;
    this.#freshness = freshness;
    // One slot more than the bound: an entry is inserted before the policy
    // picks who leaves, since the newcomer may be the better one to keep.
    this.#capacity = Math.min(maxEntries + 1, INITIAL_CAPACITY);
    this.#keys = new Array(this.#capacity);
    this.#values = new Array(this.#capacity);
    this.#promises = new Array(this.#capacity);
    this.#freshUntil = new Float64Array(this.#capacity);
    this.#retryAt = freshness.tracksRetries ? new Float64Array(this.#capacity) : undefined;
    this.#policy = policy(this.#capacity);
    this.#removal = new TimerWheel(this.#capacity, now, (slot) => this.#removeAt(slot));
    this.#listener = listener;
  }

  /** Entries held: fresh, stale within a window, and expired ones not yet reclaimed. */
  get size(): number {
    return this.#slotOf.size;
  }

  /** Evictions, expirations and replacements since construction. */
  get removals(): RemovalCounts {
    return {
      evictions: this.#evictions,
      expirations: this.#expirations,
      replacements: this.#replacements,
    };
  }

  /**
   * The settled promise of `key`'s entry if it is fresh at `now`, recording the
   * use for eviction; otherwise `undefined`, changing nothing. The hot path.
   */
  hit(key: K, now: number): Promise<V> | undefined {
    const slot = this.#slotOf.get(key);
    if (slot === undefined || (this.#freshUntil[slot] as number) <= now) return undefined;
    this.#policy.onAccess(slot);
    return this.#promises[slot] ?? this.#settle(slot);
  }

  /** The value of `key`'s entry if it is fresh at `now` and not negative; changes nothing. */
  peek(key: K, now: number): V | undefined {
    const slot = this.#slotOf.get(key);
    if (slot === undefined || (this.#freshUntil[slot] as number) <= now) return undefined;
    return this.#values[slot];
  }

  /** Whether an entry, fresh or not, is held for `key`. */
  has(key: K): boolean {
    return this.#slotOf.has(key);
  }

  /**
   * What a get at `now` may answer for `key`, whose entry is not fresh: its
   * stale value within a stale window (recording the use for eviction, and
   * saying whether to refresh it), or `undefined` to load it. An entry past
   * every window, or a remembered `NotFound`, is removed (`'expired'`).
   */
  staleAnswer(key: K, now: number): StaleAnswer<V> | undefined {
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return undefined;
    const use = this.#negativeSlots.has(slot)
      ? StaleUse.Gone
      : this.#freshness.staleUse(now, this.#freshUntil[slot] as number, this.#retryAtOf(slot));
    if (use === StaleUse.Gone) {
      this.#expireSlot(slot);
      this.#report();
      return undefined;
    }
    if (use === StaleUse.Load) return undefined;
    this.#policy.onAccess(slot);
    return {
      promise: this.#promises[slot] ?? this.#settle(slot),
      refresh: use === StaleUse.ServeAndRefresh,
    };
  }

  /**
   * What a load of `key` that failed at `now` falls back to: the stale value
   * held for it within the stale-if-error window, or `undefined` for the error.
   * A key still holding a value is not loaded again until
   * {@link Freshness.retryAfterFailure}, whichever the answer.
   */
  loadFailed(key: K, now: number): Fallback<V> | undefined {
    const slot = this.#slotOf.get(key);
    if (slot === undefined || this.#negativeSlots.has(slot)) return undefined;
    if (this.#retryAt !== undefined) this.#retryAt[slot] = this.#freshness.retryAfterFailure(now);
    if (!this.#freshness.fallsBack(now, this.#freshUntil[slot] as number)) return undefined;
    // Not negative, so the slot holds a value, `undefined` included if the
    // source resolved with it.
    return { value: this.#values[slot] as V };
  }

  /**
   * Commits `value`, loaded for `key` and fresh for `ttlMs` from `now` (0: not
   * stored, and any older entry goes, `'replaced'`). Reclaims expired entries
   * first, then, if the store is over its bound, evicts the entry the policy
   * picks (possibly this one).
   */
  commit(key: K, value: V, now: number, ttlMs: number): void {
    if (ttlMs === 0) {
      // Not stored, and an older stale value must not outlive the newer one.
      this.delete(key, 'replaced');
      return;
    }
    this.set(key, value, now, now + ttlMs);
  }

  /**
   * Commits that `key` was not found at `now`: remembered (a negative entry,
   * with no stale life) while negative caching lasts, hits then returning
   * `rejected`, already rejected with that `NotFound`; otherwise not stored,
   * and any older entry goes (`'replaced'`).
   */
  commitNotFound(key: K, rejected: Promise<V>, now: number): void {
    const until = this.#freshness.notFoundUntil(now);
    if (until === undefined) this.delete(key, 'replaced');
    else this.#commitEntry(key, true, undefined, rejected, now, until);
  }

  /** Stores `value` for `key`, fresh until `freshUntil`; see {@link commit}. */
  set(key: K, value: V, now: number, freshUntil: number): void {
    this.#commitEntry(key, false, value, undefined, now, freshUntil);
  }

  /** Deletes `key`'s entry for `cause`; returns whether there was one. */
  delete(key: K, cause: 'invalidated' | 'replaced'): boolean {
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return false;
    if (cause === 'replaced') this.#replacements++;
    this.#removeSlot(slot, cause);
    this.#report();
    return true;
  }

  /** Reclaims every entry whose removal deadline has passed by `now`. */
  reclaim(now: number): void {
    this.#removal.advance(now, this.#expireSlot);
    this.#report();
  }

  /** Deletes every entry (cause `'cleared'`) and lets go of every key and value. */
  clear(now: number): void {
    if (this.#listener?.wants() === true) {
      for (const key of this.#slotOf.keys()) this.#pending(key, 'cleared');
    }
    this.#slotOf.clear();
    // Emptied in place: new arrays would double the memory for a moment, and
    // a disposed cache would hold arrays it never uses.
    const used = this.#nextFreshSlot;
    this.#keys.fill(undefined, 0, used);
    this.#values.fill(undefined, 0, used);
    this.#promises.fill(undefined, 0, used);
    this.#negativeSlots.clear();
    this.#freeSlots = [];
    this.#nextFreshSlot = 0;
    this.#policy.clear();
    this.#removal.clear(now);
    this.#report();
  }

  #commitEntry(
    key: K,
    negative: boolean,
    value: V | undefined,
    promise: Promise<V> | undefined,
    now: number,
    freshUntil: number,
  ): void {
    this.#store(key, negative, value, promise, now, freshUntil);
    this.#report();
  }

  #store(
    key: K,
    negative: boolean,
    value: V | undefined,
    promise: Promise<V> | undefined,
    now: number,
    freshUntil: number,
  ): void {
    let slot = this.#slotOf.get(key);
    if (slot !== undefined) {
      this.#replacements++;
      if (this.#listener?.wants() === true) this.#pending(key, 'replaced');
      this.#policy.onUpdate(slot);
      this.#fill(slot, negative, value, promise, freshUntil);
      this.#removal.reschedule(slot);
      return;
    }
    this.#removal.advance(now, this.#expireSlot);
    slot = this.#allocateSlot();
    this.#slotOf.set(key, slot);
    this.#keys[slot] = key;
    this.#fill(slot, negative, value, promise, freshUntil);
    this.#removal.schedule(slot);
    this.#policy.onInsert(slot, hashKey(key));
    if (this.#slotOf.size > this.#maxEntries) this.#evict(this.#policy.victim());
  }

  /**
   * Fills `slot` with a value, or with a remembered `NotFound` (`negative`),
   * which comes with its promise, already rejected; a value's promise is made
   * on its first hit.
   */
  #fill(
    slot: number,
    negative: boolean,
    value: V | undefined,
    promise: Promise<V> | undefined,
    freshUntil: number,
  ): void {
    this.#values[slot] = value;
    this.#promises[slot] = promise;
    this.#freshUntil[slot] = freshUntil;
    if (this.#retryAt !== undefined) this.#retryAt[slot] = 0;
    if (negative) this.#negativeSlots.add(slot);
    else this.#forgetNegative(slot);
  }

  #forgetNegative(slot: number): void {
    if (this.#negativeSlots.size !== 0) this.#negativeSlots.delete(slot);
  }

  /** When `slot`'s entry goes; see {@link Freshness.removeAt}. */
  #removeAt(slot: number): number {
    return this.#freshness.removeAt(
      this.#freshUntil[slot] as number,
      this.#negativeSlots.size !== 0 && this.#negativeSlots.has(slot),
    );
  }

  /** Before when a failed reload of `slot`'s key must not be retried (0: no limit). */
  #retryAtOf(slot: number): number {
    return this.#retryAt === undefined ? 0 : (this.#retryAt[slot] as number);
  }

  /** Makes the promise of `slot`'s value, on its first read, and keeps it for later hits. */
  #settle(slot: number): Promise<V> {
    const promise = Promise.resolve(this.#values[slot] as V);
    this.#promises[slot] = promise;
    return promise;
  }

  #evict(slot: number): void {
    this.#evictions++;
    this.#removeSlot(slot, 'evicted');
  }

  #removeSlot(slot: number, cause: RemovalCause): void {
    if (this.#listener?.wants() === true) this.#pending(this.#keys[slot] as K, cause);
    this.#deleteSlot(slot);
  }

  #pending(key: K, cause: RemovalCause): void {
    this.#pendingKeys.push(key);
    this.#pendingCauses.push(cause);
  }

  /**
   * Tells the listener of the removals of the store method ending now. Last
   * thing a public method does: the listener may call back into the store.
   */
  #report(): void {
    if (this.#pendingKeys.length === 0) return;
    const keys = this.#pendingKeys;
    const causes = this.#pendingCauses;
    this.#pendingKeys = [];
    this.#pendingCauses = [];
    const listener = this.#listener as RemovalListener<K>;
    for (let index = 0; index < keys.length; index++) {
      listener.removed(keys[index] as K, causes[index] as RemovalCause);
    }
  }

  #deleteSlot(slot: number): void {
    this.#slotOf.delete(this.#keys[slot] as K);
    this.#policy.onRemove(slot);
    this.#removal.unschedule(slot);
    // Drop references at once so removed values can be collected.
    this.#keys[slot] = undefined;
    this.#values[slot] = undefined;
    this.#promises[slot] = undefined;
    this.#forgetNegative(slot);
    this.#freeSlots.push(slot);
  }

  #allocateSlot(): number {
    const reused = this.#freeSlots.pop();
    if (reused !== undefined) return reused;
    if (this.#nextFreshSlot >= this.#capacity) this.#grow();
    return this.#nextFreshSlot++;
  }

  #grow(): void {
    this.#capacity = Math.min(this.#maxEntries + 1, this.#capacity * 2);
    this.#keys = grownArray(this.#keys, this.#capacity);
    this.#values = grownArray(this.#values, this.#capacity);
    this.#promises = grownArray(this.#promises, this.#capacity);
    this.#freshUntil = grown(this.#freshUntil, this.#capacity);
    if (this.#retryAt !== undefined) this.#retryAt = grown(this.#retryAt, this.#capacity);
    this.#policy.grow(this.#capacity);
    this.#removal.grow(this.#capacity);
  }
}

function grown(array: Float64Array, capacity: number): Float64Array {
  const larger = new Float64Array(capacity);
  larger.set(array);
  return larger;
}

function grownArray<T>(array: readonly T[], capacity: number): T[] {
  const larger = new Array<T>(capacity);
  for (let slot = 0; slot < array.length; slot++) larger[slot] = array[slot] as T;
  return larger;
}
