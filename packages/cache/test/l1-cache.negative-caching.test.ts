import { StorageError } from '@aa/core';
import { ManualClock } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import { L1Cache, type L1CacheOptions } from '../src/index.js';
import { ControlledSource, isPending, settle } from './controlled-source.js';

const NOT_FOUND_TTL_MS = 500;

function negativeCache(options: L1CacheOptions<string, string> = {}) {
  const clock = new ManualClock();
  const source = new ControlledSource<string, string>();
  const cache = new L1Cache(source, { notFoundTtlMs: NOT_FOUND_TTL_MS, clock, ...options });
  return { clock, source, cache };
}

/** {@link negativeCache} with a NotFound for 'k' (load #0) remembered at time 0. */
async function rememberedNotFound(options: L1CacheOptions<string, string> = {}) {
  const fixture = negativeCache(options);
  const notFound = StorageError.notFound('no k');
  const read = fixture.cache.get('k');
  fixture.source.reject(0, notFound);
  await expect(read).rejects.toBe(notFound);
  return { ...fixture, notFound };
}

describe('L1Cache', () => {
  describe('notFoundTtlMs (negative caching)', () => {
    it('re-throws a remembered NotFound to later callers without a load: the same error object', async () => {
      const { clock, source, cache, notFound } = await rememberedNotFound();

      clock.advance(NOT_FOUND_TTL_MS - 1);
      const reads = [cache.get('k'), cache.get('k'), cache.get('k', {})];

      for (const read of reads) await expect(read).rejects.toBe(notFound);
      expect(source.callCount).toBe(1);
      expect(cache.stats()).toMatchObject({ hits: 3, misses: 1, loads: 1, loadFailures: 1 });
    });

    it('loads again once notFoundTtlMs has passed', async () => {
      const { clock, source, cache } = await rememberedNotFound();

      clock.advance(NOT_FOUND_TTL_MS);
      const read = cache.get('k');

      expect(await isPending(read)).toBe(true);
      expect(source.callCount).toBe(2);
      source.resolve(1, 'created since');
      await expect(read).resolves.toBe('created since');
    });

    it('is dropped by invalidate(), which returns true, and the next get loads', async () => {
      const { source, cache } = await rememberedNotFound();

      expect(cache.invalidate('k')).toBe(true);
      expect(cache.size).toBe(0);
      const read = cache.get('k');

      expect(source.callCount).toBe(2);
      source.resolve(1, 'created since');
      await expect(read).resolves.toBe('created since');
      expect(cache.stats().invalidations).toBe(1);
    });

    it('is dropped by clear(), and the next get loads', async () => {
      const { source, cache } = await rememberedNotFound();

      cache.clear();
      expect(cache.size).toBe(0);
      const read = cache.get('k');

      expect(source.callCount).toBe(2);
      source.resolve(1, 'created since');
      await expect(read).resolves.toBe('created since');
    });

    it.each([
      ['a Backend StorageError', StorageError.backend('down')],
      ['a Conflict StorageError', StorageError.conflict('raced')],
      ['a plain Error', new Error('boom')],
      [
        'a NotFound-looking object that is not a StorageError',
        { name: 'StorageError', kind: 'NotFound', code: 'AA_STORAGE_NOT_FOUND', message: 'x' },
      ],
      [
        'a plain Error named like a NotFound',
        Object.assign(new Error('NotFound: k'), { kind: 'NotFound' }),
      ],
    ])('never remembers %s', async (_, failure) => {
      const { source, cache } = negativeCache();

      const first = cache.get('k');
      source.reject(0, failure);
      await expect(first).rejects.toBe(failure);
      expect(cache.size).toBe(0);

      const second = cache.get('k');
      expect(source.callCount).toBe(2);
      source.resolve(1, 'recovered');
      await expect(second).resolves.toBe('recovered');
    });

    it('does not remember a NotFound when notFoundTtlMs is 0, the default', async () => {
      const clock = new ManualClock();
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source, { clock });
      const notFound = StorageError.notFound('no k');

      const first = cache.get('k');
      source.reject(0, notFound);
      await expect(first).rejects.toBe(notFound);
      expect(cache.size).toBe(0);

      const second = cache.get('k');
      expect(source.callCount).toBe(2);
      source.resolve(1, 'created since');
      await expect(second).resolves.toBe('created since');
    });

    it('makes peek() return undefined for a remembered NotFound', async () => {
      const { source, cache } = await rememberedNotFound();

      expect(cache.peek('k')).toBeUndefined();
      expect(source.callCount).toBe(1);
    });

    it('counts remembered NotFounds toward size and bounds them by maxEntries', async () => {
      const cache = new L1Cache<string, string>(
        {
          load: async (key) => {
            throw StorageError.notFound(`no ${key}`);
          },
        },
        { notFoundTtlMs: 60_000, maxEntries: 10, clock: new ManualClock() },
      );

      await cache.get('first').catch(() => {});
      expect(cache.size).toBe(1);
      for (let index = 0; index < 1_000; index++) {
        await cache.get(`unknown-${index}`).catch(() => {});
        expect(cache.size).toBeLessThanOrEqual(10);
      }

      expect(cache.size).toBe(10);
      expect(cache.stats()).toMatchObject({ evictions: 991, loads: 1_001 });
      await cache.get('unknown-999').catch(() => {});
      expect(cache.stats().loads).toBe(1_001);
      await cache.get('first').catch(() => {});
      expect(cache.stats().loads).toBe(1_002);
    });

    it.each(['invalidate', 'clear'] as const)(
      'does not remember a NotFound whose load was in flight during %s()',
      async (drop) => {
        const { source, cache } = negativeCache();

        const read = cache.get('k');
        if (drop === 'invalidate') cache.invalidate('k');
        else cache.clear();
        const notFound = StorageError.notFound('no k');
        source.reject(0, notFound);
        await expect(read).rejects.toBe(notFound);
        await settle();

        expect(cache.size).toBe(0);
        const next = cache.get('k');
        expect(source.callCount).toBe(2);
        source.resolve(1, 'created since');
        await expect(next).resolves.toBe('created since');
      },
    );

    it('replaces a stale value when a background refresh finds nothing', async () => {
      const clock = new ManualClock();
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source, {
        ttlMs: 1_000,
        staleWhileRevalidateMs: 1_000,
        notFoundTtlMs: NOT_FOUND_TTL_MS,
        clock,
      });
      const loading = cache.get('k');
      source.resolve(0, 'v1');
      await loading;
      clock.advance(1_000);
      await expect(cache.get('k')).resolves.toBe('v1');

      const notFound = StorageError.notFound('k was deleted');
      source.reject(1, notFound);
      await settle();

      await expect(cache.get('k')).rejects.toBe(notFound);
      expect(source.callCount).toBe(2);
    });
  });
});
