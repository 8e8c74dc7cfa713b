import { type CacheSource, StorageError } from '@aa/core';
import { ManualClock } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import { L1Cache, type L1CacheOptions } from '../src/index.js';
import { failOnUnhandledRejections } from './controlled-source.js';

// Every value the constructor accepts must work; anything else is a TypeError
// at construction. Durations beyond 2^53 - 1 ms (about 285,000 years) are
// accepted and treated as that, so no sum of a TTL, its jitter and a stale
// window can reach Infinity.

const HUGE_DURATIONS = [Number.MAX_SAFE_INTEGER, 2 ** 60, 1e300, Number.MAX_VALUE] as const;
const DURATION_OPTIONS = [
  'staleWhileRevalidateMs',
  'staleIfErrorMs',
  'failSafeRetryMs',
  'notFoundTtlMs',
] as const;

function echoSource(): CacheSource<string, string> {
  return { load: async (key) => `value:${key}` };
}

describe('L1Cache', () => {
  describe('options at the extremes of what is accepted', () => {
    failOnUnhandledRejections();

    describe.each(HUGE_DURATIONS)('a duration of %d ms', (huge) => {
      it('keeps size, expirations and evictions right next to entries that do expire', async () => {
        const clock = new ManualClock();
        const cache = new L1Cache(echoSource(), {
          clock,
          maxEntries: 3,
          evictionPolicy: 'lru',
          ttlJitter: 0.99,
          staleWhileRevalidateMs: huge,
          staleIfErrorMs: huge,
          failSafeRetryMs: huge,
          notFoundTtlMs: huge,
          ttlMs: (_value, key) => (key.startsWith('short') ? 10 : huge),
        });
        await cache.get('forever-1');
        await cache.get('forever-2');
        await cache.get('short');
        clock.advance(100);
        // 'short' is stale (within its stale window, which is huge), the others fresh.
        expect(cache.peek('forever-1')).toBe('value:forever-1');
        expect(cache.peek('short')).toBeUndefined();
        expect(cache.size).toBe(3);
        await cache.get('forever-3');
        // One of the three had to go: the least recently used, never a NaN.
        expect(cache.size).toBe(3);
        expect(cache.stats().evictions).toBe(1);
        expect(cache.peek('forever-3')).toBe('value:forever-3');
      });

      it('reclaims expired entries, counts them, and evicts no live one in their place', async () => {
        const clock = new ManualClock();
        const cache = new L1Cache(echoSource(), {
          clock,
          maxEntries: 3,
          ttlJitter: 0.99,
          failSafeRetryMs: huge,
          notFoundTtlMs: huge,
          ttlMs: (_value, key) => (key.startsWith('short') ? 10 : huge),
        });
        await cache.get('forever-1');
        await cache.get('short-1');
        await cache.get('short-2');
        clock.advance(1_000);
        expect(cache.size).toBe(1);
        expect(cache.stats().expirations).toBe(2);
        await cache.get('forever-2');
        await cache.get('forever-3');
        expect(cache.stats().evictions).toBe(0);
        for (const key of ['forever-1', 'forever-2', 'forever-3']) {
          expect(cache.peek(key)).toBe(`value:${key}`);
        }
        clock.advance(2 ** 40);
        expect(cache.size).toBe(3);
      });

      it('reclaims short-lived entries however the long-lived ones around them change', async () => {
        const clock = new ManualClock();
        const cache = new L1Cache<string, string>(
          {
            load: async (key) => {
              if (key.startsWith('missing')) throw StorageError.notFound(key);
              return `value:${key}`;
            },
          },
          { clock, maxEntries: 4, ttlMs: huge, staleWhileRevalidateMs: huge, notFoundTtlMs: 10 },
        );
        await cache.get('forever');
        await cache.get('missing-1').catch(() => undefined);
        await cache.get('missing-2').catch(() => undefined);
        cache.invalidate('forever');
        await cache.get('forever');
        clock.advance(1_000);
        expect(cache.size).toBe(1);
        expect(cache.stats().expirations).toBe(2);
        for (const key of ['a', 'b', 'c']) await cache.get(key);
        expect(cache.stats().evictions).toBe(0);
        expect(cache.peek('forever')).toBe('value:forever');
      });

      it('serves an entry with that TTL and jitter as fresh', async () => {
        const clock = new ManualClock();
        const cache = new L1Cache(echoSource(), {
          clock,
          ttlMs: huge,
          ttlJitter: 0.99,
          staleWhileRevalidateMs: huge,
        });
        await cache.get('k');
        clock.advance(2 ** 45);
        expect(cache.peek('k')).toBe('value:k');
        expect(cache.size).toBe(1);
      });
    });

    it.each(DURATION_OPTIONS)('accepts Number.MAX_VALUE as %s', (name) => {
      expect(
        () => new L1Cache(echoSource(), { [name]: Number.MAX_VALUE } as L1CacheOptions),
      ).not.toThrow();
    });

    it.each([
      ['a clock whose first reading is beyond 2^53', 2 ** 60],
      ['a clock whose first reading is Number.MAX_VALUE', Number.MAX_VALUE],
      ['a clock whose first reading is below -(2^53)', -(2 ** 60)],
    ])('rejects %s with a TypeError', (_label, reading) => {
      expect(() => new L1Cache(echoSource(), { clock: { now: () => reading } })).toThrow(
        /^Expected `clock.now\(\)` to return a finite number from -9007199254740991 to 9007199254740991, got /,
      );
    });
  });

  describe('options read at construction', () => {
    it('are each read exactly once, so a getter cannot answer validation and use differently', async () => {
      const reads = new Map<string, number>();
      const answers: Record<string, readonly [unknown, unknown]> = {
        ttlMs: [1_000, -1],
        ttlJitter: [0, 5],
        maxEntries: [2, Number.NaN],
        evictionPolicy: ['lru', 'nope'],
        loadTimeoutMs: [1_000, -1],
        staleWhileRevalidateMs: [0, Number.POSITIVE_INFINITY],
        staleIfErrorMs: [0, Number.NaN],
        failSafeRetryMs: [1_000, -5],
        notFoundTtlMs: [0, 'x'],
        name: ['twice-read', ''],
      };
      const options = {};
      for (const [name, [first, later]] of Object.entries(answers)) {
        Object.defineProperty(options, name, {
          enumerable: true,
          get() {
            const count = (reads.get(name) ?? 0) + 1;
            reads.set(name, count);
            return count === 1 ? first : later;
          },
        });
      }
      const cache = new L1Cache(echoSource(), options as L1CacheOptions<string, string>);
      for (const name of Object.keys(answers)) expect(reads.get(name), name).toBe(1);
      await cache.get('a');
      await cache.get('b');
      await cache.get('c');
      expect(cache.size).toBe(2);
      expect(cache.peek('c')).toBe('value:c');
    });

    it('reads the clock’s `now` once, so a getter cannot swap it for a non-function later', async () => {
      let reads = 0;
      const clock = {
        get now() {
          reads++;
          return reads === 1 ? () => 0 : undefined;
        },
      };
      const cache = new L1Cache(echoSource(), { clock: clock as never });
      await expect(cache.get('k')).resolves.toBe('value:k');
      await expect(cache.get('k')).resolves.toBe('value:k');
      expect(reads).toBe(1);
    });

    it('turns an option getter that throws into a TypeError naming the option', () => {
      const options = Object.defineProperty({}, 'ttlMs', {
        enumerable: true,
        get() {
          throw new Error('no');
        },
      });
      expect(() => new L1Cache(echoSource(), options)).toThrow(TypeError);
      expect(() => new L1Cache(echoSource(), options)).toThrow(/`ttlMs`/);
    });
  });
});
