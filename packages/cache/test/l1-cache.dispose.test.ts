import diagnosticsChannel from 'node:diagnostics_channel';
import { ManualScheduler } from '@aa/testing';
import { describe, expect, it, vi } from 'vitest';
import {
  CACHE_CHANNELS,
  CACHE_ERROR_CODES,
  CacheDisposedError,
  isCacheError,
  L1Cache,
  type L1CacheOptions,
} from '../src/index.js';
import {
  ControlledSource,
  failOnUnhandledRejections,
  observe,
  settle,
} from './controlled-source.js';

function setup(options: L1CacheOptions<string, string> = {}) {
  const source = new ControlledSource<string, string>();
  return { source, cache: new L1Cache(source, { name: 'policies', ...options }) };
}

/** Warms `keys` into `cache`, each with the value `v:<key>`. */
async function warm(
  cache: L1Cache<string, string>,
  source: ControlledSource<string, string>,
  keys: string[],
) {
  for (const key of keys) {
    const read = cache.get(key);
    source.resolve(source.callCount - 1, `v:${key}`);
    await read;
  }
}

describe('L1Cache', () => {
  describe('dispose()', () => {
    failOnUnhandledRejections();

    describe('afterwards', () => {
      it('makes get reject with a CacheDisposedError', async () => {
        const { source, cache } = setup();
        cache.dispose();

        const error = await cache.get('k').catch((reason: unknown) => reason);

        expect(error).toBeInstanceOf(CacheDisposedError);
        expect(error).toMatchObject({ name: 'CacheDisposedError', code: 'AA_CACHE_DISPOSED' });
        expect((error as Error).message).toContain('policies');
        expect(isCacheError(error, CACHE_ERROR_CODES.Disposed)).toBe(true);
        expect(isCacheError(error, CACHE_ERROR_CODES.LoadTimeout)).toBe(false);
        expect(source.callCount).toBe(0);
      });

      it('makes get reject even for a key that had a fresh entry, with or without a signal', async () => {
        const { source, cache } = setup();
        await warm(cache, source, ['k']);
        cache.dispose();

        await expect(cache.get('k')).rejects.toBeInstanceOf(CacheDisposedError);
        await expect(
          cache.get('k', { signal: new AbortController().signal }),
        ).rejects.toBeInstanceOf(CacheDisposedError);
        expect(source.callCount).toBe(1);
      });

      it('holds no entry', async () => {
        const { source, cache } = setup();
        await warm(cache, source, ['a', 'b', 'c']);
        expect(cache.size).toBe(3);

        cache.dispose();

        expect(cache.size).toBe(0);
        expect(cache.peek('a')).toBeUndefined();
      });
    });

    describe('with loads in flight', () => {
      it('aborts the signal handed to the source with the CacheDisposedError', async () => {
        const { source, cache } = setup();
        void cache.get('a').catch(() => {});
        void cache.get('b').catch(() => {});

        cache.dispose();

        const reasons = [source.signalOf(0), source.signalOf(1)].map((signal) => {
          expect(signal.aborted).toBe(true);
          return signal.reason as unknown;
        });
        expect(reasons[0]).toBeInstanceOf(CacheDisposedError);
        expect(reasons[1]).toBeInstanceOf(CacheDisposedError);
        expect(cache.pendingLoads).toBe(0);
      });

      it('rejects every caller waiting on them with that same error', async () => {
        const { source, cache } = setup();
        const controller = new AbortController();
        const callers = [
          observe(cache.get('a')),
          observe(cache.get('a', { signal: controller.signal })),
          observe(cache.get('b')),
        ];

        cache.dispose();
        await settle();

        expect(callers.map((caller) => caller.state)).toEqual(['rejected', 'rejected', 'rejected']);
        expect(callers[0]?.reason).toBe(source.signalOf(0).reason);
        expect(callers[1]?.reason).toBe(source.signalOf(0).reason);
        expect(callers[2]?.reason).toBe(source.signalOf(1).reason);
        expect(callers[0]?.reason).toBeInstanceOf(CacheDisposedError);
        expect(callers[0]?.reason).toHaveProperty('message', expect.stringContaining('"policies"'));
      });

      it('aborts a load disowned by invalidate() and rejects its callers as well', async () => {
        const { source, cache } = setup();
        const disowned = observe(cache.get('k'));
        cache.invalidate('k');
        const current = observe(cache.get('k'));

        cache.dispose();
        await settle();

        expect(current.reason).toBeInstanceOf(CacheDisposedError);
        expect(source.signalOf(1).aborted).toBe(true);
        expect(source.signalOf(0).aborted).toBe(true);
        expect(source.signalOf(0).reason).toBeInstanceOf(CacheDisposedError);
        expect(disowned.state).toBe('rejected');
        expect(disowned.reason).toBeInstanceOf(CacheDisposedError);
      });

      it('aborts the loads disowned by clear() and rejects their callers as well', async () => {
        const { source, cache } = setup();
        const disowned = observe(cache.get('k'));
        cache.clear();

        cache.dispose();
        await settle();

        expect(source.signalOf(0).aborted).toBe(true);
        expect(disowned.reason).toBeInstanceOf(CacheDisposedError);
      });

      it('ignores a late result: nothing is stored, no callback runs and no error surfaces', async () => {
        const ttlMs = vi.fn(() => 60_000);
        const { source, cache } = setup({ ttlMs });
        const onEvict = vi.fn();
        diagnosticsChannel.subscribe(CACHE_CHANNELS.evict, onEvict);
        try {
          const caller = observe(cache.get('k'));
          void cache.get('fails').catch(() => {});
          cache.dispose();

          source.resolve(0, 'late');
          source.reject(1, new Error('late failure'));
          await settle();

          expect(caller.reason).toBeInstanceOf(CacheDisposedError);
          expect(ttlMs).not.toHaveBeenCalled();
          expect(onEvict).not.toHaveBeenCalled();
          expect(cache.size).toBe(0);
          expect(cache.peek('k')).toBeUndefined();
          expect(cache.stats()).toMatchObject({ loads: 2, loadFailures: 0 });
          await expect(cache.get('k')).rejects.toBeInstanceOf(CacheDisposedError);
        } finally {
          diagnosticsChannel.unsubscribe(CACHE_CHANNELS.evict, onEvict);
        }
      });

      it('clears every pending loadTimeoutMs timer', async () => {
        const scheduler = new ManualScheduler();
        const { cache } = setup({ loadTimeoutMs: 1_000, scheduler });
        void cache.get('a').catch(() => {});
        void cache.get('b').catch(() => {});
        expect(scheduler.pendingTimers).toBe(2);

        cache.dispose();

        expect(scheduler.pendingTimers).toBe(0);
        scheduler.advance(5_000);
        await settle();
        expect(cache.stats().loadTimeouts).toBe(0);
      });

      it('clears the loadTimeoutMs timer of a load disowned by invalidate()', async () => {
        const scheduler = new ManualScheduler();
        const { cache } = setup({ loadTimeoutMs: 1_000, scheduler });
        void cache.get('k').catch(() => {});
        cache.invalidate('k');
        expect(scheduler.pendingTimers).toBe(1);

        cache.dispose();

        expect(scheduler.pendingTimers).toBe(0);
        scheduler.advance(5_000);
        await settle();
        expect(cache.stats().loadTimeouts).toBe(0);
      });

      it('leaves no extra Timeout among the active resources', async () => {
        const timeouts = () =>
          process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
        const before = timeouts();
        const { cache } = setup({ loadTimeoutMs: 60_000 });
        for (let index = 0; index < 10; index++) void cache.get(`k${index}`).catch(() => {});

        cache.dispose();

        expect(timeouts()).toBe(before);
      });
    });

    it('is idempotent', async () => {
      const { source, cache } = setup();
      const caller = observe(cache.get('k'));
      cache.dispose();
      const reason: unknown = source.signalOf(0).reason;
      await settle();

      expect(() => cache.dispose()).not.toThrow();
      expect(() => cache[Symbol.dispose]()).not.toThrow();
      await settle();

      expect(source.signalOf(0).reason).toBe(reason);
      expect(caller.reason).toBe(reason);
      expect(cache.size).toBe(0);
      await expect(cache.get('k')).rejects.toBeInstanceOf(CacheDisposedError);
      expect(source.callCount).toBe(1);
    });
  });

  describe('[Symbol.dispose]()', () => {
    it('disposes the cache as dispose() does', async () => {
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source);
      const warmed = cache.get('warm');
      source.resolve(0, 'value');
      await warmed;
      const caller = observe(cache.get('k'));

      cache[Symbol.dispose]();
      await settle();

      expect(cache.size).toBe(0);
      expect(source.signalOf(1).reason).toBeInstanceOf(CacheDisposedError);
      expect(caller.reason).toBeInstanceOf(CacheDisposedError);
      await expect(cache.get('warm')).rejects.toBeInstanceOf(CacheDisposedError);
    });

    it('runs at the end of a `using` block', async () => {
      const source = new ControlledSource<string, string>();
      let escaped: L1Cache<string, string> | undefined;
      let caller: ReturnType<typeof observe<string>> | undefined;
      {
        using cache = new L1Cache(source);
        escaped = cache;
        caller = observe(cache.get('k'));
        expect(source.signalOf(0).aborted).toBe(false);
      }
      await settle();

      expect(source.signalOf(0).reason).toBeInstanceOf(CacheDisposedError);
      expect(caller.reason).toBeInstanceOf(CacheDisposedError);
      await expect(escaped.get('k')).rejects.toBeInstanceOf(CacheDisposedError);
    });
  });
});
