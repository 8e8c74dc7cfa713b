/**
 * Decides which entry leaves when the store is over its bound, from what it is
 * told of insertions, uses and removals of slots. Implementations:
 * `LruPolicy` and `WindowTinyLfuPolicy`.
 */
export interface EvictionPolicy {
  /** `slot` was just filled with a key whose hash is `hash`. */
  onInsert(slot: number, hash: number): void;
  /** `slot` was read (a hit). The hot path: O(1), no allocation. */
  onAccess(slot: number): void;
  /** `slot` was overwritten with a newly loaded value for the same key. */
  onUpdate(slot: number): void;
  /** `slot` is being emptied, for whatever reason. */
  onRemove(slot: number): void;
  /** The slot to evict now that the store holds one entry too many. */
  victim(): number;
  /** Makes room for slots `0..capacity - 1`. */
  grow(capacity: number): void;
  /** Forgets every slot. */
  clear(): void;
}

/** Which entry goes when the cache is full: see {@link L1CacheOptions.evictionPolicy}. */
export type EvictionPolicyName = 'w-tinylfu' | 'lru';

/** Builds the eviction policy of a store with room for `capacity` slots (it grows them later). */
export type EvictionPolicyFactory = (capacity: number) => EvictionPolicy;
