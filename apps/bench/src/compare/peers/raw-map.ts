import type { CacheUnderTest, Load, PeerOptions } from './cache-under-test.js';

/**
 * The lower bound: a bare `Map` with the cheapest bound a `Map` allows, and no
 * TTL and no coalescing. A hit is `map.get(key)`, returned synchronously (see
 * {@link CacheUnderTest.get}); a miss calls `load` and stores what it resolves
 * with, so N concurrent misses cost N loads. Past `max` entries the oldest
 * insertion goes (FIFO), found through one live iterator over the keys, which
 * V8 keeps pointing at the oldest key as others are added and deleted. (It is
 * made at the first eviction: an iterator left unused while the `Map` grows
 * would keep every outgrown hash table alive.) It is a
 * baseline, not a cache to pick: its flood figures show what any cache indexed
 * by a `Map` pays for the index alone.
 */
export function createRawMap<V>(load: Load<V>, options: PeerOptions): CacheUnderTest<V> {
  const map = new Map<string, V>();
  let oldestFirst: MapIterator<string> | undefined;
  const loadAndStore = async (key: string): Promise<V> => {
    const value = await load(key);
    map.set(key, value);
    if (map.size > options.max) {
      oldestFirst ??= map.keys();
      map.delete(oldestFirst.next().value as string);
    }
    return value;
  };
  return {
    get: (key) => map.get(key) ?? loadAndStore(key),
    peek: (key) => map.get(key),
    size: () => map.size,
  };
}
