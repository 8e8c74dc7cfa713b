import diagnosticsChannel from 'node:diagnostics_channel';
import { StorageError } from '@aa/core';
import { ManualClock } from '@aa/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CACHE_CHANNELS,
  CacheDisposedError,
  type EvictionPolicyName,
  L1Cache,
  type L1CacheOptions,
  type RemovalCause,
  type RemovalEvent,
} from '../src/index.js';
import { ControlledSource, expiredEntry, settle } from './controlled-source.js';

// Every entry that leaves the cache leaves for one reason, as Caffeine's
// RemovalCause: it expired, was evicted for room, was invalidated, was cleared,
// or was replaced by a newer load. Each removal is published with its cause on
// `aa:cache:remove`, after the store is consistent again (a subscriber may
// re-enter the cache), and counted in `stats()`.

let cacheCount = 0;
const subscriptions: Array<() => void> = [];

/** The removals of the cache named `name`, as `[key, cause]` pairs. */
function removalsOf(name: string): Array<[unknown, RemovalCause]> {
  const removals: Array<[unknown, RemovalCause]> = [];
  const onMessage = (message: unknown) => {
    const event = message as RemovalEvent;
    if (event.cache === name) removals.push([event.key, event.cause]);
  };
  diagnosticsChannel.subscribe(CACHE_CHANNELS.remove, onMessage);
  subscriptions.push(() => diagnosticsChannel.unsubscribe(CACHE_CHANNELS.remove, onMessage));
  return removals;
}

function echoCache(options: L1CacheOptions<string, string> = {}) {
  const name = `removal-causes-${++cacheCount}`;
  const clock = new ManualClock();
  const cache = new L1Cache<string, string>(
    { load: async (key) => `value:${key}` },
    { name, clock, ...options },
  );
  return { name, clock, cache, removals: removalsOf(name) };
}

describe('L1Cache', () => {
  describe('removal causes', () => {
    afterEach(() => {
      for (const unsubscribe of subscriptions.splice(0)) unsubscribe();
    });

    it("publishes 'expired' for an entry reclaimed after its TTL, and counts it", async () => {
      const { clock, cache, removals } = echoCache({ ttlMs: 100 });
      await cache.get('a');
      clock.advance(1_000);
      expect(cache.size).toBe(0);
      expect(removals).toEqual([['a', 'expired']]);
      expect(cache.stats().expirations).toBe(1);
    });

    it("publishes 'evicted' for an entry evicted for room, and counts it", async () => {
      const { cache, removals } = echoCache({ maxEntries: 1, evictionPolicy: 'lru' });
      await cache.get('a');
      await cache.get('b');
      expect(removals).toEqual([['a', 'evicted']]);
      expect(cache.stats().evictions).toBe(1);
    });

    it("publishes 'invalidated' for invalidate() and 'cleared' for each entry clear() drops", async () => {
      const { cache, removals } = echoCache();
      await cache.get('a');
      await cache.get('b');
      await cache.get('c');
      cache.invalidate('a');
      cache.invalidate('nothing');
      cache.clear();
      expect(removals).toEqual([
        ['a', 'invalidated'],
        ['b', 'cleared'],
        ['c', 'cleared'],
      ]);
      expect(cache.stats().invalidations).toBe(3);
    });

    it("publishes 'replaced' for a stale value a refresh replaced, and counts it", async () => {
      const name = `removal-causes-${++cacheCount}`;
      const removals = removalsOf(name);
      const { source, cache } = await expiredEntry(100, { name, staleWhileRevalidateMs: 1_000 });
      await expect(cache.get('k')).resolves.toBe('v1');
      source.resolve(1, 'v2');
      await settle();
      expect(cache.peek('k')).toBe('v2');
      expect(removals).toEqual([['k', 'replaced']]);
      expect(cache.stats().replacements).toBe(1);
    });

    it("publishes 'replaced' for a stale value a NotFound replaced", async () => {
      const name = `removal-causes-${++cacheCount}`;
      const removals = removalsOf(name);
      const { source, cache } = await expiredEntry(100, {
        name,
        staleWhileRevalidateMs: 1_000,
        notFoundTtlMs: 1_000,
      });
      await cache.get('k');
      source.reject(1, StorageError.notFound('k'));
      await settle();
      expect(removals).toEqual([['k', 'replaced']]);
    });

    it("publishes 'expired' for an entry past every window that a get found", async () => {
      const { clock, cache, removals } = echoCache({ ttlMs: 100, maxEntries: 10 });
      await cache.get('a');
      clock.advance(50);
      await cache.get('b');
      clock.advance(60);
      // 'a' is due but not reclaimed yet (within the wheel's resolution).
      await cache.get('a');
      expect(removals[0]).toEqual(['a', 'expired']);
    });

    it('publishes nothing, and costs nothing, while no one subscribes', async () => {
      const clock = new ManualClock();
      const cache = new L1Cache<string, string>(
        { load: async (key) => key },
        { clock, maxEntries: 1, ttlMs: 10 },
      );
      await cache.get('a');
      await cache.get('b');
      clock.advance(100);
      expect(cache.size).toBe(0);
      expect(cache.stats()).toMatchObject({ evictions: 1, expirations: 1 });
    });

    describe('a subscriber that re-enters the cache', () => {
      it('may clear() while an expiry is published, and the cache stays consistent', async () => {
        const { name, clock, cache } = echoCache({ ttlMs: 100, maxEntries: 3 });
        await cache.get('a');
        clock.advance(1_000);
        let cleared = false;
        const onMessage = () => {
          if (cleared) return;
          cleared = true;
          cache.clear();
        };
        diagnosticsChannel.subscribe(CACHE_CHANNELS.remove, onMessage);
        subscriptions.push(() => diagnosticsChannel.unsubscribe(CACHE_CHANNELS.remove, onMessage));
        await cache.get('b');
        expect(cleared).toBe(true);
        expect(cache.size).toBe(0);
        for (const key of ['c', 'd', 'e', 'f']) await cache.get(key);
        expect(cache.size).toBe(3);
        expect(name).toBeTruthy();
      });

      it('may dispose() when a get finds an entry expired, and the source is not called', async () => {
        const clock = new ManualClock();
        const source = new ControlledSource<string, string>();
        const name = `removal-causes-${++cacheCount}`;
        const cache = new L1Cache(source, { name, clock, ttlMs: 100 });
        const first = cache.get('a');
        source.resolve(0, 'v');
        await first;
        clock.advance(110);
        const onMessage = (message: unknown) => {
          if ((message as RemovalEvent).cache === name) cache.dispose();
        };
        diagnosticsChannel.subscribe(CACHE_CHANNELS.remove, onMessage);
        subscriptions.push(() => diagnosticsChannel.unsubscribe(CACHE_CHANNELS.remove, onMessage));
        await expect(cache.get('a')).rejects.toBeInstanceOf(CacheDisposedError);
        expect(source.callCount).toBe(1);
      });
    });
  });

  describe('evictionPolicy', () => {
    it.each<EvictionPolicyName>(['w-tinylfu', 'lru'])(
      'accepts %s, an EvictionPolicyName',
      (policy) => {
        expect(
          () => new L1Cache({ load: async () => 1 }, { evictionPolicy: policy }),
        ).not.toThrow();
      },
    );
  });
});
