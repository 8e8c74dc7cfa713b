import { AgentId, StorageError } from '@aa/core';
import { ManualClock, ManualScheduler, MemoryPolicyStore, samplePolicy } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import {
  CACHE_ERROR_CODES,
  isCacheError,
  L1Cache,
  type L1CacheOptions,
  LoadTimeoutError,
} from '../src/index.js';
import { ControlledSource, expiredEntry, isPending, settle } from './controlled-source.js';

const TTL_MS = 1_000;
const STALE_IF_ERROR_MS = 5_000;

/** {@link expiredEntry}, then a reload (load #1) that failed and was answered with 'v1'. */
async function afterFallback(options: L1CacheOptions<string, string> = {}) {
  const fixture = await expiredEntryWith(options);
  const reload = fixture.cache.get('k');
  fixture.source.reject(1, StorageError.backend('down'));
  await expect(reload).resolves.toBe('v1');
  return fixture;
}

/** The shared expired-entry fixture with this file's TTL and window. */
function expiredEntryWith(options: L1CacheOptions<string, string> = {}) {
  return expiredEntry(TTL_MS, { staleIfErrorMs: STALE_IF_ERROR_MS, ...options });
}

describe('L1Cache', () => {
  describe('staleIfErrorMs (fail-safe)', () => {
    it('gives every caller waiting on a failed load the stale value instead of the error', async () => {
      const { source, cache } = await expiredEntryWith();

      const reads = Array.from({ length: 10 }, () => cache.get('k'));
      expect(await isPending(reads[0] as Promise<string>)).toBe(true);
      expect(source.callCount).toBe(2);
      source.reject(1, StorageError.backend('down'));

      expect(await Promise.all(reads)).toEqual(Array.from({ length: 10 }, () => 'v1'));
      expect(cache.stats()).toMatchObject({
        loads: 2,
        loadFailures: 1,
        failSafeFallbacks: 1,
        coalescedWaits: 9,
      });
    });

    it('falls back to a stale value of undefined like any other value', async () => {
      const clock = new ManualClock();
      let fail = false;
      const cache = new L1Cache<string, string | undefined>(
        {
          load: async () => {
            if (fail) throw StorageError.backend('down');
            return undefined;
          },
        },
        { ttlMs: TTL_MS, staleIfErrorMs: STALE_IF_ERROR_MS, clock },
      );
      await expect(cache.get('k')).resolves.toBeUndefined();
      clock.advance(TTL_MS);
      fail = true;

      await expect(cache.get('k')).resolves.toBeUndefined();
      expect(cache.stats()).toMatchObject({ loadFailures: 1, failSafeFallbacks: 1 });
    });

    it('counts one fallback per failed load, whatever the number of callers', async () => {
      const { clock, source, cache } = await afterFallback({ failSafeRetryMs: 100 });

      clock.advance(100);
      const reads = Array.from({ length: 5 }, () => cache.get('k'));
      source.reject(2, StorageError.backend('still down'));
      await Promise.all(reads);

      expect(cache.stats()).toMatchObject({ loads: 3, loadFailures: 2, failSafeFallbacks: 2 });
    });

    it('answers with the stale value at once, without calling the source, within failSafeRetryMs', async () => {
      const { clock, source, cache } = await afterFallback();
      const staleHitsBefore = cache.stats().staleHits;

      for (const step of [0, 500, 499]) {
        clock.advance(step);
        const read = cache.get('k');
        expect(await isPending(read)).toBe(false);
        await expect(read).resolves.toBe('v1');
      }

      expect(source.callCount).toBe(2);
      expect(cache.stats().staleHits).toBe(staleHitsBefore + 3);
      expect(cache.peek('k')).toBeUndefined();
    });

    it('tries the source again once failSafeRetryMs (default 1000) has passed', async () => {
      const { clock, source, cache } = await afterFallback();

      clock.advance(1_000);
      const read = cache.get('k');

      expect(await isPending(read)).toBe(true);
      expect(source.callCount).toBe(3);
      source.resolve(2, 'v2');
      await expect(read).resolves.toBe('v2');
      expect(cache.peek('k')).toBe('v2');
    });

    it('honours a custom failSafeRetryMs', async () => {
      const { clock, source, cache } = await afterFallback({ failSafeRetryMs: 200 });

      clock.advance(199);
      await expect(cache.get('k')).resolves.toBe('v1');
      expect(source.callCount).toBe(2);
      clock.advance(1);
      void cache.get('k');
      expect(source.callCount).toBe(3);
    });

    it('lets a down backend see at most one load per failSafeRetryMs per key', async () => {
      const clock = new ManualClock();
      const ids = [
        AgentId.fromBytes(new Uint8Array(16).fill(1)),
        AgentId.fromBytes(new Uint8Array(16).fill(2)),
      ];
      const policy = samplePolicy(1);
      const store = new MemoryPolicyStore();
      for (const id of ids) store.insert(id, policy);
      const cache = new L1Cache(store, {
        ttlMs: TTL_MS,
        staleIfErrorMs: STALE_IF_ERROR_MS,
        failSafeRetryMs: 1_000,
        clock,
      });
      for (const id of ids) await cache.get(id);
      store.failNext(1_000_000);

      // 4 s of traffic, a get of each key every 10 ms, from the moment they expired.
      for (let elapsed = 0; elapsed < 4_000; elapsed += 10) {
        clock.set(TTL_MS + elapsed);
        for (const id of ids) expect(await cache.get(id)).toBe(policy);
      }

      // Loads at 1000 (expiry), 2000, 3000 and 4000 ms, after the initial one.
      expect(ids.map((id) => store.callCountFor(id))).toEqual([5, 5]);
      expect(cache.stats()).toMatchObject({ loadFailures: 8, failSafeFallbacks: 8 });
    });

    it('returns the error when the stale value expired staleIfErrorMs ago or more', async () => {
      const { clock, source, cache } = await expiredEntryWith();

      clock.advance(STALE_IF_ERROR_MS);
      const failure = StorageError.backend('down');
      const read = cache.get('k');
      source.reject(1, failure);

      await expect(read).rejects.toBe(failure);
      expect(cache.stats().failSafeFallbacks).toBe(0);
    });

    it('judges the stale value by its age when the load fails, not when it started', async () => {
      const { clock, source, cache } = await expiredEntryWith();

      clock.advance(STALE_IF_ERROR_MS - 1);
      const failure = StorageError.backend('down');
      const read = cache.get('k');
      clock.advance(1);
      source.reject(1, failure);

      await expect(read).rejects.toBe(failure);
      expect(cache.stats().failSafeFallbacks).toBe(0);
    });

    it('does not replace a NotFound with the stale value: it drops the stale entry and callers get NotFound', async () => {
      const { source, cache } = await expiredEntryWith();

      const notFound = StorageError.notFound('k was deleted');
      const reads = [cache.get('k'), cache.get('k')];
      source.reject(1, notFound);

      for (const read of reads) await expect(read).rejects.toBe(notFound);
      expect(cache.stats().failSafeFallbacks).toBe(0);
      expect(cache.size).toBe(0);

      const failure = StorageError.backend('down');
      const next = cache.get('k');
      expect(source.callCount).toBe(3);
      source.reject(2, failure);
      await expect(next).rejects.toBe(failure);
    });

    describe('with loadTimeoutMs', () => {
      it('answers a load that times out with the stale value', async () => {
        const scheduler = new ManualScheduler();
        const { source, cache } = await expiredEntryWith({ loadTimeoutMs: 100, scheduler });

        const reads = [cache.get('k'), cache.get('k')];
        scheduler.advance(99);
        expect(await isPending(reads[0] as Promise<string>)).toBe(true);
        scheduler.advance(1);

        expect(await Promise.all(reads)).toEqual(['v1', 'v1']);
        const signal = source.loads[1]?.options?.signal;
        expect(signal?.aborted).toBe(true);
        expect(isCacheError(signal?.reason, CACHE_ERROR_CODES.LoadTimeout)).toBe(true);
        expect(cache.stats()).toMatchObject({
          loadTimeouts: 1,
          loadFailures: 1,
          failSafeFallbacks: 1,
        });

        source.resolve(1, 'too late');
        await settle();
        await expect(cache.get('k')).resolves.toBe('v1');
        expect(cache.peek('k')).toBeUndefined();
      });

      it('rejects with the LoadTimeoutError when no stale value is held', async () => {
        const scheduler = new ManualScheduler();
        const source = new ControlledSource<string, string>();
        const cache = new L1Cache(source, {
          staleIfErrorMs: STALE_IF_ERROR_MS,
          loadTimeoutMs: 100,
          scheduler,
        });

        const read = cache.get('cold');
        scheduler.advance(100);

        await expect(read).rejects.toBeInstanceOf(LoadTimeoutError);
        expect(cache.stats().failSafeFallbacks).toBe(0);
      });
    });

    describe.each(['invalidate', 'clear'] as const)('%s() during the fail-safe window', (drop) => {
      function dropKey(cache: L1Cache<string, string>): void {
        if (drop === 'invalidate') expect(cache.invalidate('k')).toBe(true);
        else cache.clear();
      }

      it('makes the next get load, and a failing load then gives the error, never the stale value', async () => {
        const { source, cache } = await afterFallback();

        dropKey(cache);
        const failure = StorageError.backend('still down');
        const read = cache.get('k');
        expect(await isPending(read)).toBe(true);
        expect(source.callCount).toBe(3);
        source.reject(2, failure);

        await expect(read).rejects.toBe(failure);
        const again = cache.get('k');
        expect(source.callCount).toBe(4);
        source.reject(3, failure);
        await expect(again).rejects.toBe(failure);
        expect(cache.stats().failSafeFallbacks).toBe(1);
      });

      it('gives the error, not the stale value, to callers of a load that fails after it', async () => {
        const { source, cache } = await expiredEntryWith();

        const read = cache.get('k');
        dropKey(cache);
        const failure = StorageError.backend('down');
        source.reject(1, failure);

        await expect(read).rejects.toBe(failure);
        expect(cache.stats().failSafeFallbacks).toBe(0);
        const next = cache.get('k');
        expect(source.callCount).toBe(3);
        source.reject(2, failure);
        await expect(next).rejects.toBe(failure);
      });
    });
  });
});
