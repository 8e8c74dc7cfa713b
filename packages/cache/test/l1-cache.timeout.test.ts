import { ManualScheduler } from '@aa/testing';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CACHE_ERROR_CODES,
  isCacheError,
  L1Cache,
  type L1CacheOptions,
  LoadTimeoutError,
} from '../src/index.js';
import {
  ControlledSource,
  failOnUnhandledRejections,
  observe,
  settle,
} from './controlled-source.js';

const TIMEOUT_MS = 1_000;

/** The scheduler of each test's cache: its timers fire only when a test advances it. */
let scheduler = new ManualScheduler();

/** Moves the scheduler on by `ms`, firing the timers due, and lets their effects settle. */
async function advance(ms: number): Promise<void> {
  scheduler.advance(ms);
  await settle();
}

function setup(options: L1CacheOptions<string, string> = {}) {
  const source = new ControlledSource<string, string>();
  const cache = new L1Cache(source, { loadTimeoutMs: TIMEOUT_MS, scheduler, ...options });
  return { source, cache };
}

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('L1Cache', () => {
  describe('loadTimeoutMs', () => {
    failOnUnhandledRejections();
    beforeEach(() => {
      scheduler = new ManualScheduler();
    });

    describe('a load that does not settle in time', () => {
      it('rejects every caller waiting on it with one LoadTimeoutError once the timeout elapses', async () => {
        const { cache } = setup();
        const controller = new AbortController();
        const callers = [
          observe(cache.get('k')),
          observe(cache.get('k')),
          observe(cache.get('k', { signal: controller.signal })),
        ];

        await advance(TIMEOUT_MS - 1);
        expect(callers.map((caller) => caller.state)).toEqual(['pending', 'pending', 'pending']);

        await advance(1);
        expect(callers.map((caller) => caller.state)).toEqual(['rejected', 'rejected', 'rejected']);
        const error = callers[0]?.reason;
        expect(callers[1]?.reason).toBe(error);
        expect(callers[2]?.reason).toBe(error);

        expect(error).toBeInstanceOf(LoadTimeoutError);
        expect(error).toMatchObject({
          name: 'LoadTimeoutError',
          code: 'AA_CACHE_LOAD_TIMEOUT',
          key: 'k',
          timeoutMs: TIMEOUT_MS,
        });
        expect(isCacheError(error, CACHE_ERROR_CODES.LoadTimeout)).toBe(true);
        expect(isCacheError(error, CACHE_ERROR_CODES.Disposed)).toBe(false);
      });

      it('keeps the key it timed out on, not a stringified copy', async () => {
        const source = new ControlledSource<{ id: number }, string>();
        const cache = new L1Cache(source, { loadTimeoutMs: 50, scheduler });
        const key = { id: 7 };
        const caller = observe(cache.get(key));

        await advance(50);

        expect(caller.state).toBe('rejected');
        expect((caller.reason as LoadTimeoutError).key).toBe(key);
        expect((caller.reason as LoadTimeoutError).timeoutMs).toBe(50);
      });

      it('rejects with a LoadTimeoutError even when the key cannot be converted to a string', async () => {
        const source = new ControlledSource<object, string>();
        const cache = new L1Cache(source, { loadTimeoutMs: 50, scheduler });
        // A null-prototype object (a dictionary key, say) has no toString.
        const key: object = Object.create(null);
        const caller = observe(cache.get(key));

        await advance(50);

        expect(caller.state).toBe('rejected');
        expect(caller.reason).toBeInstanceOf(LoadTimeoutError);
        expect((caller.reason as LoadTimeoutError).key).toBe(key);
        expect(cache.pendingLoads).toBe(0);
      });

      it('aborts the signal handed to the source with the LoadTimeoutError as its reason', async () => {
        const { source, cache } = setup();
        const caller = observe(cache.get('k'));
        const signal = source.signalOf(0);
        const onAbort = vi.fn();
        signal.addEventListener('abort', onAbort);

        await advance(TIMEOUT_MS - 1);
        expect(signal.aborted).toBe(false);

        await advance(1);
        expect(signal.aborted).toBe(true);
        expect(onAbort).toHaveBeenCalledTimes(1);
        expect(signal.reason).toBeInstanceOf(LoadTimeoutError);
        expect(signal.reason).toBe(caller.reason);
      });

      it('frees the key, so the next get starts a new load', async () => {
        const { source, cache } = setup();
        const first = observe(cache.get('k'));
        expect(cache.pendingLoads).toBe(1);

        await advance(TIMEOUT_MS);
        expect(first.state).toBe('rejected');
        expect(cache.pendingLoads).toBe(0);

        const second = cache.get('k');
        expect(source.callCount).toBe(2);
        expect(cache.pendingLoads).toBe(1);
        expect(source.signalOf(1).aborted).toBe(false);
        source.resolve(1, 'second');
        await expect(second).resolves.toBe('second');
        expect(cache.peek('k')).toBe('second');
      });

      it('discards its late result: nothing is stored and later gets load afresh', async () => {
        const ttlMs = vi.fn(() => 60_000);
        const { source, cache } = setup({ ttlMs });
        const caller = observe(cache.get('k'));
        await advance(TIMEOUT_MS);

        source.resolve(0, 'late');
        await settle();

        expect(caller.state).toBe('rejected');
        expect(ttlMs).not.toHaveBeenCalled();
        expect(cache.peek('k')).toBeUndefined();
        expect(cache.size).toBe(0);

        const next = cache.get('k');
        expect(source.callCount).toBe(2);
        source.resolve(1, 'fresh');
        await expect(next).resolves.toBe('fresh');
        await expect(cache.get('k')).resolves.toBe('fresh');
        expect(source.callCount).toBe(2);
      });

      it('discards its late result without settling or overwriting a newer load of the key', async () => {
        const { source, cache } = setup();
        void cache.get('k').catch(() => {});
        await advance(TIMEOUT_MS);
        const newer = observe(cache.get('k'));

        source.resolve(0, 'late');
        await settle();
        expect(newer.state).toBe('pending');
        expect(cache.peek('k')).toBeUndefined();
        expect(cache.pendingLoads).toBe(1);

        source.resolve(1, 'fresh');
        await settle();
        expect(newer).toMatchObject({ state: 'fulfilled', value: 'fresh' });

        source.reject(0, new Error('even later'));
        await settle();
        expect(cache.peek('k')).toBe('fresh');
      });

      it('discards a late failure too, counting the load as failed only once', async () => {
        const { source, cache } = setup();
        const caller = observe(cache.get('k'));
        await advance(TIMEOUT_MS);

        source.reject(0, new Error('late failure'));
        await settle();

        expect(caller.reason).toBeInstanceOf(LoadTimeoutError);
        expect(cache.stats()).toMatchObject({ loads: 1, loadFailures: 1, loadTimeouts: 1 });
      });

      it('raises no unhandled rejection when no caller is left awaiting it', async () => {
        const { cache } = setup();
        void cache.get('fire-and-forget');
        await advance(TIMEOUT_MS);
        await settle();

        expect(cache.stats().loadTimeouts).toBe(1);
        // The afterEach hook asserts that nothing was reported as unhandled.
      });

      it('answers with the stale value instead of the error when staleIfErrorMs allows', async () => {
        const { source, cache } = setup({ ttlMs: 100, staleIfErrorMs: 10_000 });
        const first = cache.get('k');
        source.resolve(0, 'old');
        await expect(first).resolves.toBe('old');
        scheduler.advance(100);

        const caller = observe(cache.get('k'));
        expect(source.callCount).toBe(2);
        await advance(TIMEOUT_MS);

        expect(caller).toMatchObject({ state: 'fulfilled', value: 'old' });
        expect(source.signalOf(1).reason).toBeInstanceOf(LoadTimeoutError);
        expect(cache.stats()).toMatchObject({ loadTimeouts: 1, failSafeFallbacks: 1 });
      });
    });

    describe('a load that settles in time', () => {
      it('clears its timer, so nothing fires after the deadline', async () => {
        const { source, cache } = setup();
        const caller = cache.get('k');
        expect(scheduler.pendingTimers).toBe(1);

        await advance(TIMEOUT_MS - 1);
        source.resolve(0, 'value');
        await expect(caller).resolves.toBe('value');
        expect(scheduler.pendingTimers).toBe(0);

        await advance(TIMEOUT_MS * 10);
        expect(source.signalOf(0).aborted).toBe(false);
        expect(cache.peek('k')).toBe('value');
        expect(cache.stats()).toMatchObject({ loadTimeouts: 0, loadFailures: 0 });
      });

      it('clears its timer when it fails in time, and its callers get the source error', async () => {
        const { source, cache } = setup();
        const caller = cache.get('k');
        const failure = new Error('backend down');

        source.reject(0, failure);
        await expect(caller).rejects.toBe(failure);
        expect(scheduler.pendingTimers).toBe(0);

        await advance(TIMEOUT_MS);
        expect(source.signalOf(0).aborted).toBe(false);
        expect(cache.stats()).toMatchObject({ loadTimeouts: 0, loadFailures: 1 });
      });

      it('leaves no timer behind after many loads', async () => {
        const { source, cache } = setup();
        const reads = Array.from({ length: 50 }, (_, index) => cache.get(`k${index}`));
        expect(scheduler.pendingTimers).toBe(50);

        for (let index = 0; index < 50; index++) source.resolve(index, `v${index}`);
        await Promise.all(reads);

        expect(scheduler.pendingTimers).toBe(0);
      });
    });

    describe('the timer', () => {
      it('does not keep the process alive, with the default scheduler', async () => {
        const timeoutMs = 123_457;
        const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
        try {
          const before = activeTimeouts();
          const { source, cache } = setup({ loadTimeoutMs: timeoutMs, scheduler: undefined });
          const caller = cache.get('k');

          const index = setTimeoutSpy.mock.calls.findIndex((call) => call[1] === timeoutMs);
          expect(index).toBeGreaterThanOrEqual(0);
          const timer = setTimeoutSpy.mock.results[index]?.value as NodeJS.Timeout;
          expect(timer.hasRef()).toBe(false);
          // An unref'd timer is not among the resources keeping the event loop alive.
          expect(activeTimeouts()).toBe(before);

          source.resolve(0, 'value');
          await expect(caller).resolves.toBe('value');
        } finally {
          setTimeoutSpy.mockRestore();
        }
      });
    });

    describe('with invalidate()', () => {
      it('rejects only the callers of the invalidated load when it times out', async () => {
        const { source, cache } = setup();
        const older = [observe(cache.get('k')), observe(cache.get('k'))];
        await advance(TIMEOUT_MS / 2);
        cache.invalidate('k');
        const newer = observe(cache.get('k'));
        expect(source.callCount).toBe(2);

        await advance(TIMEOUT_MS / 2);

        expect(older.map((caller) => caller.state)).toEqual(['rejected', 'rejected']);
        expect(older[0]?.reason).toBeInstanceOf(LoadTimeoutError);
        expect(source.signalOf(0).aborted).toBe(true);
        expect(newer.state).toBe('pending');
        expect(source.signalOf(1).aborted).toBe(false);
        expect(cache.pendingLoads).toBe(1);

        const joined = observe(cache.get('k'));
        expect(source.callCount).toBe(2);
        source.resolve(1, 'fresh');
        await settle();

        expect(newer).toMatchObject({ state: 'fulfilled', value: 'fresh' });
        expect(joined).toMatchObject({ state: 'fulfilled', value: 'fresh' });
        expect(cache.peek('k')).toBe('fresh');
      });

      it('gives the newer load its own full timeout', async () => {
        const { source, cache } = setup();
        void cache.get('k').catch(() => {});
        await advance(TIMEOUT_MS / 2);
        cache.invalidate('k');
        const newer = observe(cache.get('k'));

        await advance(TIMEOUT_MS - 1);
        expect(source.signalOf(0).aborted).toBe(true);
        expect(newer.state).toBe('pending');

        await advance(1);
        expect(newer.state).toBe('rejected');
        expect(newer.reason).toBeInstanceOf(LoadTimeoutError);
        expect(newer.reason).not.toBe(source.signalOf(0).reason);
        expect(source.signalOf(1).reason).toBe(newer.reason);
        expect(cache.stats().loadTimeouts).toBe(2);
      });
    });
  });
});
