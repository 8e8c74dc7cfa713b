import { ManualClock } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import { L1Cache } from '../src/index.js';

/** A source whose value for a key is the key itself, counting loads. */
function echoSource() {
  const loads: string[] = [];
  return {
    loads,
    load: async (key: string) => {
      loads.push(key);
      return key;
    },
  };
}

async function fill(cache: L1Cache<string, string>, keys: string[]) {
  for (const key of keys) await cache.get(key);
}

describe('L1Cache', () => {
  describe('maxEntries', () => {
    it('defaults to 10,000 entries', async () => {
      const cache = new L1Cache(echoSource());
      await fill(
        cache,
        Array.from({ length: 10_001 }, (_, i) => `k${i}`),
      );
      expect(cache.size).toBe(10_000);
      expect(cache.stats().evictions).toBe(1);
    });

    it('evicts the least recently used entry with the LRU policy, where a get is a use', async () => {
      const source = echoSource();
      const cache = new L1Cache(source, { maxEntries: 3, evictionPolicy: 'lru' });
      await fill(cache, ['a', 'b', 'c']);
      await cache.get('a');

      await cache.get('d');

      expect(cache.size).toBe(3);
      expect(['a', 'b', 'c', 'd'].map((key) => cache.peek(key))).toEqual([
        'a',
        undefined,
        'c',
        'd',
      ]);
    });

    it('does not count a peek as a use (LRU policy)', async () => {
      const cache = new L1Cache(echoSource(), { maxEntries: 2, evictionPolicy: 'lru' });
      await fill(cache, ['a', 'b']);
      cache.peek('a');
      await cache.get('c');
      expect(cache.peek('a')).toBeUndefined();
      expect(cache.peek('b')).toBe('b');
    });

    it('never holds more than maxEntries, through growth, churn and reuse of slots', async () => {
      const cache = new L1Cache(echoSource(), { maxEntries: 1_000 });
      for (let round = 0; round < 5; round++) {
        await fill(
          cache,
          Array.from({ length: 1_500 }, (_, i) => `r${round}-${i}`),
        );
        expect(cache.size).toBe(1_000);
        cache.invalidate(`r${round}-1499`);
        expect(cache.size).toBe(999);
      }
      expect(cache.peek('r4-1498')).toBe('r4-1498');
      expect(cache.peek('r4-499')).toBeUndefined();
    });

    it('reclaims expired entries before evicting a fresh one', async () => {
      const clock = new ManualClock();
      const cache = new L1Cache(echoSource(), { maxEntries: 2, ttlMs: 100, clock });
      await cache.get('a'); // expires at 100
      clock.advance(10);
      await cache.get('b'); // expires at 110
      clock.advance(10);
      await cache.get('a'); // a is now the most recently used, b the least
      clock.advance(85); // t = 105: a has expired, b is fresh

      await cache.get('c');

      expect(cache.peek('b')).toBe('b');
      expect(cache.peek('c')).toBe('c');
    });
  });

  describe('size', () => {
    it('does not count entries that expired long ago, though no one read them again', async () => {
      const clock = new ManualClock();
      const source = echoSource();
      const cache = new L1Cache(source, { ttlMs: 1_000, clock });
      await fill(
        cache,
        Array.from({ length: 100 }, (_, i) => `old${i}`),
      );
      clock.advance(500);
      await fill(cache, ['young']);

      clock.advance(600); // the 100 old entries have expired; `young` has not
      expect(cache.size).toBe(1);
      expect(source.loads).toHaveLength(101);
    });

    it('does not count loads in flight', () => {
      const cache = new L1Cache({ load: () => new Promise<string>(() => {}) });
      void cache.get('k');
      expect(cache.size).toBe(0);
      expect(cache.pendingLoads).toBe(1);
    });
  });
});
