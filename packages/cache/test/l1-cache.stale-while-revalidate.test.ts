import { StorageError } from '@aa/core';
import { describe, expect, it } from 'vitest';
import type { L1Cache, L1CacheOptions } from '../src/index.js';
import { expiredEntry, failOnUnhandledRejections, isPending, settle } from './controlled-source.js';

const TTL_MS = 1_000;
const WINDOW_MS = 500;

/** The shared expired-entry fixture with this file's TTL and window. */
function expiredEntryWith(options: L1CacheOptions<string, string> = {}) {
  return expiredEntry(TTL_MS, { staleWhileRevalidateMs: WINDOW_MS, ...options });
}

describe('L1Cache', () => {
  describe('staleWhileRevalidateMs', () => {
    it('returns the stale value at once, before the background refresh settles', async () => {
      const { source, cache } = await expiredEntryWith();

      const read = cache.get('k');

      expect(await isPending(read)).toBe(false);
      await expect(read).resolves.toBe('v1');
      expect(source.callCount).toBe(2);
      expect(cache.pendingLoads).toBe(1);
      // The initial load was the one miss.
      expect(cache.stats()).toMatchObject({ staleHits: 1, misses: 1, refreshes: 1, loads: 2 });
    });

    it('starts exactly one background refresh however many gets arrive in the window', async () => {
      const { clock, source, cache } = await expiredEntryWith();

      const reads: Promise<string>[] = [];
      for (let step = 0; step < 50; step++) {
        reads.push(cache.get('k'), cache.get('k'));
        clock.advance(WINDOW_MS / 50 - 1);
      }

      expect(await Promise.all(reads)).toEqual(Array.from({ length: 100 }, () => 'v1'));
      expect(source.callCount).toBe(2);
      expect(source.loads[1]?.key).toBe('k');
      expect(cache.stats()).toMatchObject({ staleHits: 100, refreshes: 1, loads: 2 });
    });

    it('keeps returning the stale value, and starts no second refresh, while one is in flight', async () => {
      const { clock, source, cache } = await expiredEntryWith();
      await cache.get('k');
      expect(source.callCount).toBe(2);

      clock.advance(WINDOW_MS - 1);
      const late = cache.get('k');

      expect(await isPending(late)).toBe(false);
      await expect(late).resolves.toBe('v1');
      expect(source.callCount).toBe(2);
      expect(cache.pendingLoads).toBe(1);
    });

    it('lets a get that misses after the window joins the refresh still in flight', async () => {
      const { clock, source, cache } = await expiredEntryWith();
      await cache.get('k');

      clock.advance(WINDOW_MS);
      const miss = cache.get('k');

      expect(await isPending(miss)).toBe(true);
      expect(source.callCount).toBe(2);
      source.resolve(1, 'v2');
      await expect(miss).resolves.toBe('v2');
      expect(cache.stats()).toMatchObject({ misses: 2, coalescedWaits: 1, loads: 2 });
    });

    it('stores the refreshed value and serves it fresh, its TTL counted from the refresh', async () => {
      const { clock, source, cache } = await expiredEntryWith();
      await cache.get('k');

      clock.advance(100);
      source.resolve(1, 'v2');
      await settle();

      expect(cache.peek('k')).toBe('v2');
      const hitsBefore = cache.stats().hits;
      await expect(cache.get('k')).resolves.toBe('v2');
      expect(cache.stats().hits).toBe(hitsBefore + 1);
      clock.advance(TTL_MS - 1);
      expect(cache.peek('k')).toBe('v2');
      await expect(cache.get('k')).resolves.toBe('v2');
      expect(source.callCount).toBe(2);
    });

    describe('when the refresh fails', () => {
      const unhandled = failOnUnhandledRejections();

      it('counts it in refreshFailures and loadFailures', async () => {
        const { source, cache } = await expiredEntryWith();
        await cache.get('k');

        source.reject(1, StorageError.backend('down'));
        await settle();

        expect(cache.stats()).toMatchObject({
          refreshes: 1,
          refreshFailures: 1,
          loadFailures: 1,
          failSafeFallbacks: 0,
        });
        expect(cache.pendingLoads).toBe(0);
      });

      it('raises no unhandled rejection, though no caller awaits the refresh', async () => {
        const { source, cache } = await expiredEntryWith();
        void cache.get('k');

        source.reject(1, new Error('refresh failed'));
        await settle();
        await settle();

        expect(unhandled).toEqual([]);
      });

      it('keeps serving the stale value until the window ends', async () => {
        const { clock, source, cache } = await expiredEntryWith();
        await cache.get('k');
        source.reject(1, StorageError.backend('down'));
        await settle();

        clock.advance(WINDOW_MS - 1);
        await expect(cache.get('k')).resolves.toBe('v1');
        expect(cache.peek('k')).toBeUndefined();

        clock.advance(1);
        const miss = cache.get('k');
        expect(await isPending(miss)).toBe(true);
        expect(source.callCount).toBe(3);
        source.resolve(2, 'v2');
        await expect(miss).resolves.toBe('v2');
        expect(unhandled).toEqual([]);
      });

      it('does not refresh the key again before failSafeRetryMs (default 1000) has passed', async () => {
        const { clock, source, cache } = await expiredEntryWith({ staleWhileRevalidateMs: 5_000 });
        await cache.get('k');
        source.reject(1, StorageError.backend('down'));
        await settle();

        clock.advance(999);
        await expect(cache.get('k')).resolves.toBe('v1');
        expect(source.callCount).toBe(2);

        clock.advance(1);
        await expect(cache.get('k')).resolves.toBe('v1');
        expect(source.callCount).toBe(3);
        expect(cache.stats().refreshes).toBe(2);
      });

      it.each([
        ['the source rejects', (value: string) => (value === 'bad' ? 0 : TTL_MS), true],
        [
          'ttlMs() returns NaN for the value',
          (value: string) => (value === 'bad' ? Number.NaN : TTL_MS),
          false,
        ],
        [
          'ttlMs() throws for the value',
          (value: string) => {
            if (value === 'bad') throw new Error('ttl bug');
            return TTL_MS;
          },
          false,
        ],
      ])(
        'holds off the next refresh for failSafeRetryMs when %s',
        async (_, ttlMs, sourceFails) => {
          const { clock, source, cache } = await expiredEntryWith({
            ttlMs,
            staleWhileRevalidateMs: 5_000,
          });
          await cache.get('k');
          if (sourceFails) source.reject(1, StorageError.backend('down'));
          else source.resolve(1, 'bad');
          await settle();
          expect(cache.stats()).toMatchObject({ refreshes: 1, refreshFailures: 1 });

          clock.advance(10);
          await expect(cache.get('k')).resolves.toBe('v1');
          clock.advance(989);
          await expect(cache.get('k')).resolves.toBe('v1');

          expect(source.callCount).toBe(2);
          expect(cache.stats().refreshes).toBe(1);
          expect(unhandled).toEqual([]);
        },
      );

      it.each([
        ['the default 1000 ms', undefined, 5],
        ['250 ms', 250, 20],
      ])(
        'lets a failing backend see one refresh per failSafeRetryMs (%s) through a 5 s window',
        async (_, failSafeRetryMs, refreshes) => {
          const { clock, source, cache } = await expiredEntryWith({
            staleWhileRevalidateMs: 5_000,
            failSafeRetryMs,
          });

          for (let elapsed = 0; elapsed < 5_000; elapsed += 10) {
            clock.set(TTL_MS + elapsed);
            const started = source.callCount;
            await expect(cache.get('k')).resolves.toBe('v1');
            if (source.callCount > started) {
              source.reject(started, StorageError.backend('still down'));
              await settle();
            }
          }

          expect(source.callCount - 1).toBe(refreshes);
          expect(cache.stats()).toMatchObject({
            refreshes,
            refreshFailures: refreshes,
            staleHits: 500,
          });
          expect(unhandled).toEqual([]);
        },
      );
    });

    it('treats an entry expired past the window as a miss: a normal load the caller waits for', async () => {
      const { clock, source, cache } = await expiredEntryWith();

      clock.advance(WINDOW_MS);
      const miss = cache.get('k');

      expect(await isPending(miss)).toBe(true);
      expect(source.callCount).toBe(2);
      source.resolve(1, 'v2');
      await expect(miss).resolves.toBe('v2');
      expect(cache.stats()).toMatchObject({ staleHits: 0, misses: 2, refreshes: 0 });
    });

    describe.each(['invalidate', 'clear'] as const)('%s() during a background refresh', (drop) => {
      function dropKey(cache: L1Cache<string, string>): void {
        if (drop === 'invalidate') expect(cache.invalidate('k')).toBe(true);
        else cache.clear();
      }

      it('keeps the refresh from storing its older value', async () => {
        const { source, cache } = await expiredEntryWith();
        await cache.get('k');

        dropKey(cache);
        source.resolve(1, 'refreshed before the change');
        await settle();

        expect(cache.peek('k')).toBeUndefined();
        expect(cache.size).toBe(0);
        const read = cache.get('k');
        expect(source.callCount).toBe(3);
        source.resolve(2, 'after the change');
        await expect(read).resolves.toBe('after the change');
      });

      it('makes a get after it start a new load and get the new value, whenever the refresh settles', async () => {
        const { source, cache } = await expiredEntryWith();
        await cache.get('k');

        dropKey(cache);
        const read = cache.get('k');

        expect(await isPending(read)).toBe(true);
        expect(source.callCount).toBe(3);
        source.resolve(2, 'after the change');
        await expect(read).resolves.toBe('after the change');
        source.resolve(1, 'refreshed before the change');
        await settle();
        await expect(cache.get('k')).resolves.toBe('after the change');
        expect(cache.peek('k')).toBe('after the change');
        expect(source.callCount).toBe(3);
      });

      it('drops the stale value: no later get returns it, even when the new load fails', async () => {
        const { source, cache } = await expiredEntryWith();
        await cache.get('k');

        dropKey(cache);
        const failure = StorageError.backend('down');
        const read = cache.get('k');
        source.reject(2, failure);
        await expect(read).rejects.toBe(failure);
        source.reject(1, StorageError.backend('refresh down too'));
        await settle();

        const next = cache.get('k');
        expect(await isPending(next)).toBe(true);
        expect(source.callCount).toBe(4);
        source.resolve(3, 'v3');
        await expect(next).resolves.toBe('v3');
      });
    });

    describe('peek()', () => {
      it('never returns the stale value: not in the window, during the refresh, nor after it failed', async () => {
        const { clock, source, cache } = await expiredEntryWith();
        expect(cache.peek('k')).toBeUndefined();

        await cache.get('k');
        expect(cache.peek('k')).toBeUndefined();

        source.reject(1, StorageError.backend('down'));
        await settle();
        clock.advance(1);
        expect(cache.peek('k')).toBeUndefined();
        await expect(cache.get('k')).resolves.toBe('v1');
      });
    });
  });
});
