import { LRUCache } from 'lru-cache';
import type { CacheUnderTest, Load, PeerOptions } from './cache-under-test.js';

/**
 * lru-cache as its README's "Usage" section sets up a loading cache: `max`,
 * `ttl` and a `fetchMethod`, read with `await cache.fetch(key)`, which
 * coalesces concurrent fetches of a key into one `fetchMethod` call. Other
 * options keep their defaults (`ttlAutopurge: false`: expired entries are
 * dropped when next read or evicted by `max`, not on a timer). `peek` is its
 * documented synchronous read that does not update recency.
 */
export function createLruCache<V extends object>(
  load: Load<V>,
  options: PeerOptions,
): CacheUnderTest<V> {
  const cache = new LRUCache<string, V>({
    max: options.max,
    ttl: options.ttlMs,
    fetchMethod: (key) => load(key),
  });
  return {
    // fetch resolves `undefined` only when fetchMethod does or is aborted; ours never is.
    get: (key) => cache.fetch(key) as Promise<V>,
    peek: (key) => cache.peek(key),
    size: () => cache.size,
  };
}
