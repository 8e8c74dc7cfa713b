import { createCache } from 'async-cache-dedupe';
import type { CacheUnderTest, Load, PeerOptions } from './cache-under-test.js';

/**
 * async-cache-dedupe as its README's "Example" and `createCache(opts)` sections
 * show: `createCache({ ttl, storage: { type: 'memory', options: { size } } })`,
 * then `define(name, fn)` and `await cache[name](arg)`, which dedupes
 * concurrent calls with the same argument. Its `ttl` is a whole number of
 * seconds (it rejects fractions), so a TTL under a second becomes one second;
 * its memory storage reads a clock it refreshes once a second.
 */
export function createAsyncCacheDedupe<V>(load: Load<V>, options: PeerOptions): CacheUnderTest<V> {
  const cache = createCache({
    ttl: asyncCacheDedupeTtl(options.ttlMs),
    storage: { type: 'memory', options: { size: options.max } },
  }).define('fetchValue', (key: string) => load(key));
  return { get: (key) => cache.fetchValue(key) };
}

/** The whole seconds async-cache-dedupe accepts for a TTL of `ttlMs`: at least one. */
export function asyncCacheDedupeTtl(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs / 1000));
}
