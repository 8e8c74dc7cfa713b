import diagnosticsChannel from 'node:diagnostics_channel';
import { type CacheSource, type LoadOptions, StorageError } from '@aa/core';
import { ManualClock, ManualScheduler } from '@aa/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CACHE_CHANNELS,
  CacheDisposedError,
  L1Cache,
  type LoadEvent,
  LoadTimeoutError,
} from '../src/index.js';
import {
  ControlledSource,
  expiredEntry,
  failOnUnhandledRejections,
  observe,
  settle,
} from './controlled-source.js';

// User code can re-enter the cache from every callback the cache makes into it:
// the source, a TTL function, a diagnostics subscriber, a signal listener. The
// promise, whichever callback it is: once `invalidate`/`clear` has returned,
// nothing loaded before it is stored or served; once `dispose` has returned,
// nothing is held, every `get` rejects and the source is never called again.

type Reentry = 'invalidate' | 'clear' | 'dispose';
const REENTRIES: readonly Reentry[] = ['invalidate', 'clear', 'dispose'];

function reenter(cache: L1Cache<string, string>, how: Reentry, key = 'k'): void {
  if (how === 'invalidate') cache.invalidate(key);
  else if (how === 'clear') cache.clear();
  else cache.dispose();
}

/** A source that counts its loads and answers `v<n>` for the n-th. */
function countingSource(): CacheSource<string, string> & { calls: number } {
  const source = {
    calls: 0,
    load: async (_key: string, _options?: LoadOptions) => `v${++source.calls}`,
  };
  return source;
}

/** Asserts what the cache promises after `how` was called and returned. */
async function expectReentryWon(
  cache: L1Cache<string, string>,
  source: { calls: number },
  how: Reentry,
): Promise<void> {
  expect(cache.peek('k')).toBeUndefined();
  expect(cache.size).toBe(0);
  const callsBefore = source.calls;
  if (how === 'dispose') {
    await expect(cache.get('k')).rejects.toBeInstanceOf(CacheDisposedError);
    expect(source.calls).toBe(callsBefore);
  } else {
    await cache.get('k');
    expect(source.calls).toBe(callsBefore + 1);
  }
}

const subscriptions: Array<() => void> = [];
function subscribe(name: string, onMessage: (message: unknown) => void): void {
  diagnosticsChannel.subscribe(name, onMessage);
  subscriptions.push(() => diagnosticsChannel.unsubscribe(name, onMessage));
}
function subscribeLoad(
  handlers: Partial<Record<'start' | 'end' | 'asyncEnd', (m: LoadEvent) => void>>,
) {
  const channel = diagnosticsChannel.tracingChannel<unknown, LoadEvent>(CACHE_CHANNELS.load);
  const all = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {}, ...handlers };
  channel.subscribe(all);
  subscriptions.push(() => channel.unsubscribe(all));
}

let cacheCount = 0;
function uniqueName(): string {
  return `reentrancy-${++cacheCount}`;
}

describe('L1Cache', () => {
  describe('re-entered from user code', () => {
    failOnUnhandledRejections();
    afterEach(() => {
      for (const unsubscribe of subscriptions.splice(0)) unsubscribe();
    });

    describe.each(REENTRIES)('%s() from a ttlMs function', (how) => {
      it('stores nothing the load returned, and the next get does not see it', async () => {
        const source = countingSource();
        let armed = true;
        const cache: L1Cache<string, string> = new L1Cache(source, {
          ttlMs: (_value: string, key: string) => {
            if (armed) reenter(cache, how, key);
            armed = false;
            return 1_000;
          },
        });
        const read = cache.get('k');
        if (how === 'dispose') await expect(read).rejects.toBeInstanceOf(CacheDisposedError);
        else await expect(read).resolves.toBe('v1');
        await expectReentryWon(cache, source, how);
      });
    });

    describe.each(REENTRIES)('%s() from a ttlMs function during a background refresh', (how) => {
      it('neither stores the refreshed value nor serves the stale one afterwards', async () => {
        const clock = new ManualClock();
        const source = new ControlledSource<string, string>();
        let armed = false;
        let cache: L1Cache<string, string> | undefined;
        cache = new L1Cache(source, {
          clock,
          staleWhileRevalidateMs: 1_000,
          ttlMs: (_value, key) => {
            if (armed && cache !== undefined) reenter(cache, how, key);
            return 100;
          },
        });
        const first = cache.get('k');
        source.resolve(0, 'v1');
        await first;
        clock.advance(100);
        armed = true;
        await expect(cache.get('k')).resolves.toBe('v1');
        source.resolve(1, 'v2');
        await settle();
        armed = false;
        expect(cache.peek('k')).toBeUndefined();
        expect(cache.size).toBe(0);
        if (how === 'dispose') {
          await expect(cache.get('k')).rejects.toBeInstanceOf(CacheDisposedError);
          expect(source.callCount).toBe(2);
        } else {
          const next = observe(cache.get('k'));
          await settle();
          expect(next.state).toBe('pending');
          expect(source.callCount).toBe(3);
        }
      });
    });

    describe.each(REENTRIES)('%s() from a load:start subscriber', (how) => {
      it(`stores nothing, and after dispose the source is never called`, async () => {
        const source = countingSource();
        const name = uniqueName();
        const cache = new L1Cache(source, { name });
        let armed = true;
        subscribeLoad({
          start: (event) => {
            if (event.cache !== name || !armed) return;
            armed = false;
            reenter(cache, how);
          },
        });
        const read = cache.get('k');
        if (how === 'dispose') {
          await expect(read).rejects.toBeInstanceOf(CacheDisposedError);
          expect(source.calls).toBe(0);
        } else {
          await read;
        }
        await expectReentryWon(cache, source, how);
      });
    });

    describe.each(REENTRIES)('%s() from a load:asyncEnd subscriber', (how) => {
      it('stores nothing the load returned', async () => {
        const source = countingSource();
        const name = uniqueName();
        const cache = new L1Cache(source, { name });
        let armed = true;
        subscribeLoad({
          asyncEnd: (event) => {
            if (event.cache !== name || !armed) return;
            armed = false;
            reenter(cache, how);
          },
        });
        await cache.get('k').catch(() => undefined);
        await expectReentryWon(cache, source, how);
      });
    });

    describe.each(REENTRIES)('%s() from an evict subscriber', (how) => {
      it('holds nothing of the load that caused the eviction once it returned', async () => {
        const source = countingSource();
        const name = uniqueName();
        const cache = new L1Cache(source, { name, maxEntries: 1, evictionPolicy: 'lru' });
        await cache.get('other');
        subscribe(CACHE_CHANNELS.evict, (message) => {
          if ((message as { cache: string }).cache === name) reenter(cache, how);
        });
        await cache.get('k').catch(() => undefined);
        if (how === 'invalidate') {
          // Invalidating `k` while `k` is being stored: it must not stay.
          expect(cache.peek('k')).toBeUndefined();
        } else {
          expect(cache.size).toBe(0);
        }
      });
    });

    describe.each(REENTRIES)('%s() from a fail-safe subscriber', (how) => {
      it('serves no stale value once it returned', async () => {
        const name = uniqueName();
        const { source, cache } = await expiredEntry(100, { name, staleIfErrorMs: 1_000 });
        subscribe(CACHE_CHANNELS.failSafe, (message) => {
          if ((message as { cache: string }).cache === name) reenter(cache, how);
        });
        const read = observe(cache.get('k'));
        source.reject(1, StorageError.backend('down'));
        await settle();
        // The fallback was decided, and handed over, before the subscriber ran:
        // callers that asked before may get it. Later ones must not.
        expect(read.state).not.toBe('pending');
        expect(cache.peek('k')).toBeUndefined();
        if (how === 'dispose') {
          await expect(cache.get('k')).rejects.toBeInstanceOf(CacheDisposedError);
        } else {
          const next = observe(cache.get('k'));
          await settle();
          expect(next.state).toBe('pending');
          expect(source.callCount).toBe(3);
        }
      });
    });

    describe.each(REENTRIES)('%s() from a load-timeout subscriber', (how) => {
      it('leaves nothing held and the key free', async () => {
        const name = uniqueName();
        const source = new ControlledSource<string, string>();
        const cache = new L1Cache(source, { name, loadTimeoutMs: 1 });
        subscribe(CACHE_CHANNELS.loadTimeout, (message) => {
          if ((message as { cache: string }).cache === name) reenter(cache, how);
        });
        const read = cache.get('k');
        if (how === 'dispose') await expect(read).rejects.toBeInstanceOf(CacheDisposedError);
        else await expect(read).rejects.toBeInstanceOf(LoadTimeoutError);
        source.resolve(0, 'late');
        await settle();
        expect(cache.size).toBe(0);
        expect(cache.pendingLoads).toBe(0);
      });
    });

    describe.each(REENTRIES)("%s() from the source signal's abort listener", (how) => {
      it('leaves nothing held once the load was abandoned', async () => {
        const source = new ControlledSource<string, string>();
        const cache = new L1Cache(source);
        const controller = new AbortController();
        const read = cache.get('k', { signal: controller.signal });
        source.signalOf(0).addEventListener('abort', () => reenter(cache, how));
        controller.abort(new Error('gone'));
        await expect(read).rejects.toThrow('gone');
        source.resolve(0, 'late');
        await settle();
        expect(cache.size).toBe(0);
        expect(cache.pendingLoads).toBe(0);
      });
    });

    describe.each(REENTRIES)(
      "%s() from the source signal's abort listener when the load times out",
      (how) => {
        it('leaves nothing held, and no timer', async () => {
          const scheduler = new ManualScheduler();
          const source = new ControlledSource<string, string>();
          const cache = new L1Cache(source, { scheduler, loadTimeoutMs: 100 });
          const read = cache.get('k');
          source.signalOf(0).addEventListener('abort', () => reenter(cache, how));
          scheduler.advance(100);
          // The outcome is decided before the source hears of the abort.
          await expect(read).rejects.toBeInstanceOf(LoadTimeoutError);
          source.resolve(0, 'late');
          await settle();
          expect(cache.size).toBe(0);
          expect(cache.pendingLoads).toBe(0);
          expect(scheduler.pendingTimers).toBe(0);
        });
      },
    );

    it("a get from the source signal's abort listener on a timeout starts a new load", async () => {
      const scheduler = new ManualScheduler();
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source, { scheduler, loadTimeoutMs: 100 });
      const read = cache.get('k');
      let again: Promise<string> | undefined;
      source.signalOf(0).addEventListener('abort', () => {
        again = cache.get('k');
      });
      scheduler.advance(100);
      await expect(read).rejects.toBeInstanceOf(LoadTimeoutError);
      expect(source.callCount).toBe(2);
      source.resolve(1, 'fresh');
      await expect(again).resolves.toBe('fresh');
    });

    it('a ttlMs function that reads the same key joins the load and gets its value', async () => {
      const source = countingSource();
      let inner: Promise<string> | undefined;
      let cache: L1Cache<string, string> | undefined;
      cache = new L1Cache(source, {
        ttlMs: (_value, key) => {
          inner ??= cache?.get(key);
          return 1_000;
        },
      });
      await expect(cache.get('k')).resolves.toBe('v1');
      await expect(inner).resolves.toBe('v1');
      expect(cache.peek('k')).toBe('v1');
      expect(source.calls).toBe(1);
    });
  });
});
