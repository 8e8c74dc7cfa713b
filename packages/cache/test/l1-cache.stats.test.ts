import { StorageError } from '@aa/core';
import { ManualClock } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import { type CacheStats, type GetOptions, L1Cache } from '../src/index.js';
import { ControlledSource, settle } from './controlled-source.js';

const ZERO: CacheStats = {
  hits: 0,
  staleHits: 0,
  misses: 0,
  coalescedWaits: 0,
  loads: 0,
  loadFailures: 0,
  loadTimeouts: 0,
  refreshes: 0,
  refreshFailures: 0,
  failSafeFallbacks: 0,
  cancellations: 0,
  evictions: 0,
  expirations: 0,
  invalidations: 0,
  replacements: 0,
};

/** A cache whose source answers at once with the key itself. */
function echoCache(options: { maxEntries?: number; ttlMs?: number } = {}) {
  const clock = new ManualClock();
  const cache = new L1Cache<string, string>({ load: async (key) => key }, { clock, ...options });
  return { clock, cache };
}

describe('L1Cache', () => {
  describe('stats()', () => {
    it('starts with every counter at zero', () => {
      const { cache } = echoCache();
      expect(cache.stats()).toEqual(ZERO);
    });

    it('counts every get exactly once, as a hit, a stale hit or a miss', async () => {
      const clock = new ManualClock();
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source, {
        ttlMs: 1_000,
        staleWhileRevalidateMs: 500,
        notFoundTtlMs: 1_000,
        clock,
      });
      let gets = 0;
      const get = (key: string, options?: GetOptions) => {
        gets++;
        return cache.get(key, options);
      };

      const cold = [get('k'), get('k'), get('k')];
      source.resolve(0, 'v1');
      await Promise.all(cold);
      await Promise.all([get('k'), get('k'), get('k', {})]);
      const missing = get('gone');
      source.reject(1, StorageError.notFound('gone'));
      await missing.catch(() => {});
      await get('gone').catch(() => {}); // a remembered NotFound is a hit
      clock.advance(1_000);
      await Promise.all([get('k'), get('k')]);
      source.resolve(2, 'v2');
      await settle();
      clock.advance(1_000 + 500);
      const late = get('k');
      source.resolve(3, 'v3');
      await late;

      const stats = cache.stats();
      expect(stats.hits + stats.staleHits + stats.misses).toBe(gets);
      expect(stats).toMatchObject({ hits: 4, staleHits: 2, misses: 5, coalescedWaits: 2 });
      expect(stats).toMatchObject({ loads: 4, refreshes: 1, loadFailures: 1 });
    });

    it('counts one load, however many callers waited: 100 concurrent callers', async () => {
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source, { clock: new ManualClock() });

      const reads = Array.from({ length: 100 }, () => cache.get('k'));
      source.resolve(0, 'v');
      await Promise.all(reads);

      expect(cache.stats()).toEqual({ ...ZERO, loads: 1, misses: 100, coalescedWaits: 99 });
    });

    it('counts one load failure, however many callers waited', async () => {
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source, { clock: new ManualClock() });

      const reads = Array.from({ length: 10 }, () => cache.get('k'));
      source.reject(0, StorageError.backend('down'));
      await Promise.allSettled(reads);
      const again = cache.get('k');
      source.reject(1, new Error('still down'));
      await again.catch(() => {});

      expect(cache.stats()).toMatchObject({ loads: 2, loadFailures: 2, misses: 11 });
    });

    it('counts the entries evicted to stay within maxEntries', async () => {
      const { cache } = echoCache({ maxEntries: 2 });

      for (const key of ['a', 'b', 'c', 'd', 'e']) await cache.get(key);

      expect(cache.stats()).toMatchObject({ evictions: 3, expirations: 0, invalidations: 0 });
    });

    it('counts entries removed after outliving their TTL as expirations, not evictions', async () => {
      const { clock, cache } = echoCache({ ttlMs: 1_000 });
      for (const key of ['a', 'b', 'c']) await cache.get(key);

      clock.advance(1_000_000);
      expect(cache.size).toBe(0);

      expect(cache.stats()).toMatchObject({ expirations: 3, evictions: 0, invalidations: 0 });
    });

    it('counts an expired entry found by a get as one expiration', async () => {
      const { clock, cache } = echoCache({ ttlMs: 1_000 });
      await cache.get('a');

      clock.advance(1_000);
      await cache.get('a');

      expect(cache.stats()).toMatchObject({ expirations: 1, misses: 2, loads: 2 });
    });

    it('counts the entries dropped by invalidate() and clear() as invalidations', async () => {
      const { cache } = echoCache();
      for (const key of ['a', 'b', 'c', 'd']) await cache.get(key);

      cache.invalidate('a');
      cache.invalidate('a');
      cache.invalidate('never loaded');
      expect(cache.stats().invalidations).toBe(1);

      cache.clear();
      expect(cache.stats().invalidations).toBe(4);
      cache.clear();
      expect(cache.stats().invalidations).toBe(4);
      expect(cache.stats()).toMatchObject({ evictions: 0, expirations: 0 });
    });

    it('does not count a load in flight dropped by invalidate() as an invalidation', async () => {
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source, { clock: new ManualClock() });

      const read = cache.get('k');
      cache.invalidate('k');
      cache.clear();
      source.resolve(0, 'v');
      await read;

      expect(cache.stats().invalidations).toBe(0);
    });

    describe.each([
      ['after size was read', true],
      ['though nothing reclaimed them yet', false],
    ])('with entries that outlived their TTL, %s', (_, readSize) => {
      /** 'old-a' and 'old-b' long expired, 'a', 'b' and 'c' fresh; no write since the expiry. */
      async function mixedCache() {
        const clock = new ManualClock();
        const cache = new L1Cache<string, string>(
          { load: async (key) => key },
          { ttlMs: (_value, key) => (key.startsWith('old') ? 1_000 : 10_000_000), clock },
        );
        for (const key of ['old-a', 'old-b', 'a', 'b', 'c']) await cache.get(key);
        clock.advance(1_000_000);
        if (readSize) expect(cache.size).toBe(3);
        return cache;
      }

      it('counts only the entries still held as invalidations when clear() drops them all', async () => {
        const cache = await mixedCache();

        cache.clear();

        expect(cache.stats()).toMatchObject({ invalidations: 3, expirations: 2 });
      });

      it('counts invalidate() of a long-expired entry as an expiration, not an invalidation', async () => {
        const cache = await mixedCache();

        cache.invalidate('old-a');
        cache.invalidate('a');

        expect(cache.stats().invalidations).toBe(1);
        expect(cache.stats().expirations).toBeGreaterThanOrEqual(1);
      });
    });

    it('counts invalidate() of a stale entry still held for a stale window as an invalidation', async () => {
      const clock = new ManualClock();
      const cache = new L1Cache<string, string>(
        { load: async (key) => key },
        { ttlMs: 1_000, staleIfErrorMs: 5_000, clock },
      );
      await cache.get('k');
      clock.advance(3_000);

      expect(cache.invalidate('k')).toBe(true);

      expect(cache.stats()).toMatchObject({ invalidations: 1, expirations: 0 });
    });

    it('returns a frozen snapshot that does not change afterwards', async () => {
      const { cache } = echoCache();
      await cache.get('k');
      const snapshot = cache.stats();
      const copy = { ...snapshot };

      await cache.get('k');
      await cache.get('other');
      cache.invalidate('k');

      expect(Object.isFrozen(snapshot)).toBe(true);
      expect(() => {
        (snapshot as { hits: number }).hits = 99;
      }).toThrow(TypeError);
      expect(snapshot).toEqual(copy);
      expect(cache.stats()).not.toBe(snapshot);
      expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, invalidations: 1 });
    });
  });
});
