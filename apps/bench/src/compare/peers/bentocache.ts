import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import type { CacheUnderTest, Load, PeerOptions } from './cache-under-test.js';

/**
 * bentocache with one in-memory (L1) store, as its "Cache drivers" page sets
 * one up (`bentostore().useL1Layer(memoryDriver({ maxItems }))`), read with
 * `getOrSet({ key, factory, ttl })`, the method its "Methods" page says to use
 * most of the time. Driver defaults are kept, so entries are serialized
 * (`serialize: true`) and the driver's lru-cache runs with `ttlAutopurge: false`.
 */
export function createBentocache<V>(load: Load<V>, options: PeerOptions): CacheUnderTest<V> {
  const bento = new BentoCache({
    default: 'memory',
    stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: options.max })) },
  });
  const ttl = options.ttlMs;
  return {
    get: (key) => bento.getOrSet({ key, factory: () => load(key), ttl }),
    close: () => bento.disconnectAll(),
  };
}
