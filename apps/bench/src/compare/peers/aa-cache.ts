import { L1Cache } from '@aa/cache';
import type { CacheUnderTest, Load, PeerOptions } from './cache-under-test.js';

/**
 * `@aa/cache`'s `L1Cache` with its defaults apart from `ttlMs` and
 * `maxEntries`, as its README shows: `new L1Cache(source, { ttlMs, maxEntries })`,
 * then `await cache.get(key)`. Whatever eviction or admission policy the
 * package uses by default is what gets measured.
 */
export function createAaCache<V>(load: Load<V>, options: PeerOptions): CacheUnderTest<V> {
  const cache = new L1Cache<string, V>(
    { load: (key) => load(key) },
    { ttlMs: options.ttlMs, maxEntries: options.max },
  );
  return {
    get: (key) => cache.get(key),
    peek: (key) => cache.peek(key),
    size: () => cache.size,
    close: () => cache.dispose(),
  };
}
