import { StorageError } from '@aa/core';
import { ManualClock } from '@aa/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { L1Cache, type L1CacheOptions } from '../src/index.js';
import { ControlledSource, isPending, settle } from './controlled-source.js';

function controlledCache(options: L1CacheOptions<string, string>) {
  const clock = new ManualClock();
  const source = new ControlledSource<string, string>();
  const cache = new L1Cache(source, { clock, ...options });
  return { clock, source, cache };
}

/** The first whole millisecond, stepping the clock 1 ms at a time, at which `key` is no longer fresh. */
function expiryOf(cache: L1Cache<string, string>, clock: ManualClock, key: string, limit: number) {
  while (cache.peek(key) !== undefined) {
    if (clock.now() >= limit) throw new Error(`${key} still fresh at ${limit} ms`);
    clock.advance(1);
  }
  return clock.now();
}

describe('L1Cache', () => {
  describe('ttlMs as a function', () => {
    it('expires each entry after its own TTL', async () => {
      const { clock, cache } = controlledCache({
        ttlMs: (_value, key) => (key === 'short' ? 100 : 1_000),
      });
      const source = cache.source as ControlledSource<string, string>;
      const reads = [cache.get('short'), cache.get('long')];
      source.resolve(0, 's');
      source.resolve(1, 'l');
      await Promise.all(reads);

      clock.advance(99);
      expect([cache.peek('short'), cache.peek('long')]).toEqual(['s', 'l']);
      clock.advance(1);
      expect([cache.peek('short'), cache.peek('long')]).toEqual([undefined, 'l']);
      clock.advance(899);
      expect(cache.peek('long')).toBe('l');
      clock.advance(1);
      expect(cache.peek('long')).toBeUndefined();
    });

    it('is called once per load with the loaded value and its key, and not on hits', async () => {
      const ttlMs = vi.fn((_value: string, _key: string) => 1_000);
      const { source, cache } = controlledCache({ ttlMs });

      const reads = [cache.get('k'), cache.get('k')];
      source.resolve(0, 'value of k');
      await Promise.all(reads);
      await cache.get('k');

      expect(ttlMs).toHaveBeenCalledTimes(1);
      expect(ttlMs).toHaveBeenCalledWith('value of k', 'k');
    });

    it('returns a value whose TTL is 0 to every caller without storing it', async () => {
      const { source, cache } = controlledCache({ ttlMs: () => 0 });

      const reads = [cache.get('k'), cache.get('k')];
      source.resolve(0, 'uncacheable');

      expect(await Promise.all(reads)).toEqual(['uncacheable', 'uncacheable']);
      expect(cache.size).toBe(0);
      expect(cache.peek('k')).toBeUndefined();
      const next = cache.get('k');
      expect(await isPending(next)).toBe(true);
      expect(source.callCount).toBe(2);
    });

    it('does not let an older stale value outlive a newer value whose TTL is 0 (stale-while-revalidate)', async () => {
      const { clock, source, cache } = controlledCache({
        ttlMs: (value) => (value === 'uncacheable' ? 0 : 1_000),
        staleWhileRevalidateMs: 1_000,
      });
      const first = cache.get('k');
      source.resolve(0, 'v1');
      await first;
      clock.advance(1_000);
      await expect(cache.get('k')).resolves.toBe('v1');

      source.resolve(1, 'uncacheable');
      await settle();

      const next = cache.get('k');
      expect(await isPending(next)).toBe(true);
      expect(source.callCount).toBe(3);
      expect(cache.stats().staleHits).toBe(1);
    });

    it('does not let an older stale value outlive a newer value whose TTL is 0 (fail-safe)', async () => {
      const { clock, source, cache } = controlledCache({
        ttlMs: (value) => (value === 'uncacheable' ? 0 : 1_000),
        staleIfErrorMs: 5_000,
      });
      const first = cache.get('k');
      source.resolve(0, 'v1');
      await first;
      clock.advance(1_000);
      const second = cache.get('k');
      source.resolve(1, 'uncacheable');
      await expect(second).resolves.toBe('uncacheable');

      const failure = StorageError.backend('down');
      const third = cache.get('k');
      source.reject(2, failure);
      await expect(third).rejects.toBe(failure);
    });

    it.each([
      [-1, '`-1` (number)'],
      [Number.NaN, '`NaN` (number)'],
      [Number.POSITIVE_INFINITY, '`Infinity` (number)'],
      [Number.NEGATIVE_INFINITY, '`-Infinity` (number)'],
      ['1000', '`"1000"` (string)'],
      [undefined, '`undefined`'],
      [null, '`null`'],
      [1_000n, '`1000` (bigint)'],
    ])(
      'rejects the callers with a TypeError when it returns %s, and stores nothing',
      async (returned, shown) => {
        const { source, cache } = controlledCache({ ttlMs: () => returned as number });

        const reads = [cache.get('k'), cache.get('k')];
        source.resolve(0, 'v');

        for (const read of reads) {
          const error = await read.then(
            () => undefined,
            (reason: unknown) => reason,
          );
          expect(error).toBeInstanceOf(TypeError);
          expect((error as TypeError).message).toContain('`ttlMs(value, key)`');
          expect((error as TypeError).message).toContain(`got ${shown}`);
        }
        expect(cache.size).toBe(0);
        expect(cache.peek('k')).toBeUndefined();
        void cache.get('k');
        expect(source.callCount).toBe(2);
        expect(cache.stats().loadFailures).toBe(1);
      },
    );

    it('rejects the callers with the error it throws, and stores nothing', async () => {
      const bug = new Error('ttl function bug');
      const { source, cache } = controlledCache({
        ttlMs: () => {
          throw bug;
        },
      });

      const reads = [cache.get('k'), cache.get('k')];
      source.resolve(0, 'v');

      for (const read of reads) await expect(read).rejects.toBe(bug);
      expect(cache.size).toBe(0);
      void cache.get('k');
      expect(source.callCount).toBe(2);
    });
  });

  describe('ttlJitter', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it.each([
      { random: 0, expiresAt: 800 },
      { random: 0.5, expiresAt: 1_000 },
      { random: 0.999_999_9, expiresAt: 1_200 },
    ])(
      'gives an entry a TTL of $expiresAt ms for ttlMs 1000, jitter 0.2 and Math.random() = $random',
      async ({ random, expiresAt }) => {
        vi.spyOn(Math, 'random').mockReturnValue(random);
        const { clock, source, cache } = controlledCache({ ttlMs: 1_000, ttlJitter: 0.2 });
        const read = cache.get('k');
        source.resolve(0, 'v');
        await read;

        expect(expiryOf(cache, clock, 'k', 2_000)).toBe(expiresAt);
      },
    );

    it('applies to a TTL given by a function too', async () => {
      vi.spyOn(Math, 'random').mockReturnValue(0);
      const { clock, source, cache } = controlledCache({ ttlMs: () => 1_000, ttlJitter: 0.2 });
      const read = cache.get('k');
      source.resolve(0, 'v');
      await read;

      expect(expiryOf(cache, clock, 'k', 2_000)).toBe(800);
    });

    it('spreads the expiry of keys loaded at the same instant, all within ±ttlJitter', async () => {
      const clock = new ManualClock();
      const cache = new L1Cache<string, string>(
        { load: async (key) => key },
        { ttlMs: 10_000, ttlJitter: 0.1, clock },
      );
      const keys = Array.from({ length: 200 }, (_, index) => `k${index}`);
      await Promise.all(keys.map((key) => cache.get(key)));
      expect(clock.now()).toBe(0);

      const expiries = new Map<string, number>();
      clock.set(8_999);
      expect(keys.every((key) => cache.peek(key) === key)).toBe(true);
      while (expiries.size < keys.length && clock.now() < 11_000) {
        clock.advance(1);
        for (const key of keys) {
          if (!expiries.has(key) && cache.peek(key) === undefined) expiries.set(key, clock.now());
        }
      }

      const times = [...expiries.values()];
      expect(times).toHaveLength(keys.length);
      expect(Math.min(...times)).toBeGreaterThanOrEqual(9_000);
      expect(Math.max(...times)).toBeLessThanOrEqual(11_000);
      expect(new Set(times).size).toBeGreaterThan(50);
    });
  });
});
