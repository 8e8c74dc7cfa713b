import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';
import type { CacheUnderTest, Load, PeerOptions } from './cache-under-test.js';

type Stored = string | object;

/**
 * cache-manager 7 over a bounded in-memory Keyv store, as its README's "Using
 * CacheableMemory or lru-cache as storage adapter" section shows
 * (`new Keyv({ store: new LRU({ max, maxAge }) })`, `maxAge` being lru-cache 11's
 * `ttl`; `cacheable`, the other store shown there, is not installed here), read
 * with `wrap(key, fn, ttl)`, which coalesces concurrent calls for a key.
 * Keyv's defaults are kept: values are JSON-serialized, keys prefixed with its
 * namespace, and an `expires` stamp is checked on every read.
 *
 * One deviation, which any user of these versions needs: Keyv 5 calls
 * `store.set(key, value, ttl)` with a number where lru-cache 11 expects
 * `{ ttl }`, and lru-cache throws on the number. Keyv swallows the error (it
 * emits `error` and reports `false`), so the README's example, as printed,
 * caches nothing: every `wrap` loads. {@link keyvStoreOver} passes `{ ttl }`.
 */
export function createCacheManager<V>(load: Load<V>, options: PeerOptions): CacheUnderTest<V> {
  const lru = new LRUCache<string, Stored>({ max: options.max, ttl: options.ttlMs });
  const cache = createCache({ stores: [new Keyv({ store: keyvStoreOver(lru) })] });
  const ttl = options.ttlMs;
  return {
    get: (key) => cache.wrap(key, () => load(key), ttl),
    size: () => lru.size,
    close: async () => {
      await cache.disconnect();
    },
  };
}

/** `lru` as the Keyv store adapter it is meant to be, with lru-cache 11's `set` signature. */
export function keyvStoreOver(lru: LRUCache<string, Stored>) {
  return {
    get: (key: string) => lru.get(key),
    set: (key: string, value: Stored, ttl?: number) => {
      lru.set(key, value, ttl === undefined ? {} : { ttl });
      return true;
    },
    delete: (key: string) => lru.delete(key),
    clear: () => lru.clear(),
    has: (key: string) => lru.has(key),
  };
}
