import type { CacheUnderTest, Load } from './cache-under-test.js';

/**
 * The lower bound for a hit: a bare `Map`, no TTL, no bound, no coalescing.
 * A hit is `map.get(key)`, returned synchronously (see {@link CacheUnderTest.get});
 * a miss calls `load` and stores what it resolves with, so N concurrent misses
 * cost N loads. Options are ignored: it is a baseline, not a cache to pick.
 */
export function createRawMap<V>(load: Load<V>): CacheUnderTest<V> {
  const map = new Map<string, V>();
  const loadAndStore = async (key: string): Promise<V> => {
    const value = await load(key);
    map.set(key, value);
    return value;
  };
  return {
    get: (key) => map.get(key) ?? loadAndStore(key),
    peek: (key) => map.get(key),
    size: () => map.size,
  };
}
