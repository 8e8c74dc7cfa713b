import diagnosticsChannel from 'node:diagnostics_channel';
import { ManualClock, ManualScheduler } from '@aa/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CACHE_CHANNELS,
  L1Cache,
  type L1CacheOptions,
  type LoadEvent,
  LoadTimeoutError,
} from '../src/index.js';
import { ControlledSource, settle } from './controlled-source.js';

type Phase = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';

interface TraceRecord {
  readonly phase: Phase;
  /** The context object itself, as the tracing channel handed it over. */
  readonly context: LoadEvent;
  /** A copy of the context as it was when this phase was published. */
  readonly snapshot: LoadEvent;
}

const loadChannel = diagnosticsChannel.tracingChannel<unknown, LoadEvent>(CACHE_CHANNELS.load);

const ignoreAll = {
  start() {},
  end() {},
  asyncStart() {},
  asyncEnd() {},
  error() {},
};

let cacheCount = 0;
/** A cache with a name of its own, so that events of other caches cannot be mistaken for its. */
function setup(options: L1CacheOptions<string, unknown> = {}) {
  const name = `diagnostics-${++cacheCount}`;
  const source = new ControlledSource<string, unknown>();
  return { name, source, cache: new L1Cache(source, { name, ...options }) };
}

/** Subscribes `onMessage` to the plain channel `name` until the test ends. */
function listen(name: string, subscriptions: Array<() => void>): unknown[] {
  const messages: unknown[] = [];
  const onMessage = (message: unknown) => messages.push(message);
  diagnosticsChannel.subscribe(name, onMessage);
  subscriptions.push(() => diagnosticsChannel.unsubscribe(name, onMessage));
  return messages;
}

describe('L1Cache', () => {
  describe('diagnostics channels', () => {
    const subscriptions: Array<() => void> = [];

    afterEach(() => {
      for (const unsubscribe of subscriptions.splice(0)) unsubscribe();
      vi.restoreAllMocks();
    });

    describe('load (tracing channel)', () => {
      const records: TraceRecord[] = [];
      /** The records of the cache named `name`, as `phase` names or whole records. */
      const tracesOf = (name: string) => records.filter((record) => record.context.cache === name);
      const phasesOf = (name: string) => tracesOf(name).map((record) => record.phase);

      beforeEach(() => {
        records.length = 0;
        const handler = (phase: Phase) => (message: unknown) => {
          const context = message as LoadEvent;
          records.push({ phase, context, snapshot: { ...context } });
        };
        const handlers = {
          start: handler('start'),
          end: handler('end'),
          asyncStart: handler('asyncStart'),
          asyncEnd: handler('asyncEnd'),
          error: handler('error'),
        };
        loadChannel.subscribe(handlers);
        subscriptions.push(() => loadChannel.unsubscribe(handlers));
      });

      it('reports a successful load as start, end, asyncStart and asyncEnd, with its result', async () => {
        const { name, source, cache } = setup();
        const read = cache.get('k');
        expect(phasesOf(name)).toEqual(['start', 'end']);

        const value = { answer: 42 };
        source.resolve(0, value);
        await expect(read).resolves.toBe(value);

        const traces = tracesOf(name);
        expect(traces.map((record) => record.phase)).toEqual([
          'start',
          'end',
          'asyncStart',
          'asyncEnd',
        ]);
        expect(traces[0]?.snapshot).toEqual({ cache: name, key: 'k', background: false });
        expect(traces[3]?.snapshot).toEqual({
          cache: name,
          key: 'k',
          background: false,
          result: value,
        });
        expect(traces[3]?.context.result).toBe(value);
        expect('error' in (traces[3]?.context ?? {})).toBe(false);
        expect(new Set(traces.map((record) => record.context)).size).toBe(1);
      });

      it('publishes start before calling the source and end once it has returned', async () => {
        const { name, source, cache } = setup();
        const callCounts: number[] = [];
        const seeCallCount = (message: unknown) => {
          if ((message as LoadEvent).cache === name) callCounts.push(source.callCount);
        };
        const handlers = { ...ignoreAll, start: seeCallCount, end: seeCallCount };
        loadChannel.subscribe(handlers);
        subscriptions.push(() => loadChannel.unsubscribe(handlers));

        const read = cache.get('k');
        source.resolve(0, 'value');
        await read;

        expect(callCounts).toEqual([0, 1]);
      });

      it('reports a failed load with its error and no result', async () => {
        const { name, source, cache } = setup();
        const read = cache.get('k');
        const failure = new Error('backend down');

        source.reject(0, failure);
        await expect(read).rejects.toBe(failure);

        const traces = tracesOf(name);
        expect(traces.map((record) => record.phase)).toEqual([
          'start',
          'end',
          'error',
          'asyncStart',
          'asyncEnd',
        ]);
        expect(traces[2]?.snapshot).toEqual({
          cache: name,
          key: 'k',
          background: false,
          error: failure,
        });
        expect(traces[2]?.context.error).toBe(failure);
        expect('result' in (traces[2]?.context ?? {})).toBe(false);
      });

      it('reports a source that throws synchronously as start, error and end', async () => {
        const name = `diagnostics-${++cacheCount}`;
        const failure = new Error('thrown, not rejected');
        const cache = new L1Cache<string, string>(
          {
            load: () => {
              throw failure;
            },
          },
          { name },
        );

        await expect(cache.get('k')).rejects.toBe(failure);

        expect(phasesOf(name)).toEqual(['start', 'error', 'end']);
        expect(tracesOf(name)[1]?.snapshot).toEqual({
          cache: name,
          key: 'k',
          background: false,
          error: failure,
        });
      });

      it('reports one event set per load however many callers coalesce', async () => {
        const { name, source, cache } = setup();
        const controller = new AbortController();
        const reads = [
          ...Array.from({ length: 8 }, () => cache.get('a')),
          cache.get('a', { signal: controller.signal }),
          cache.get('b'),
          cache.get('b'),
        ];
        expect(source.callCount).toBe(2);

        source.resolve(0, 'value a');
        source.resolve(1, 'value b');
        await Promise.all(reads);

        const starts = tracesOf(name).filter((record) => record.phase === 'start');
        expect(starts.map((record) => record.snapshot.key)).toEqual(['a', 'b']);
        expect(phasesOf(name).filter((phase) => phase === 'asyncEnd')).toHaveLength(2);
        expect(records.filter((record) => record.phase === 'start')).toHaveLength(2);
      });

      it('marks a stale-while-revalidate refresh as a background load', async () => {
        const clock = new ManualClock();
        const { name, source, cache } = setup({ clock, ttlMs: 100, staleWhileRevalidateMs: 1_000 });
        const first = cache.get('k');
        source.resolve(0, 'old');
        await first;
        clock.advance(100);

        await expect(cache.get('k')).resolves.toBe('old');
        expect(source.callCount).toBe(2);
        source.resolve(1, 'new');
        await settle();

        const starts = tracesOf(name).filter((record) => record.phase === 'start');
        expect(starts.map((record) => record.snapshot.background)).toEqual([false, true]);
        expect(tracesOf(name).at(-1)?.snapshot).toEqual({
          cache: name,
          key: 'k',
          background: true,
          result: 'new',
        });
      });

      it('names the cache with the default name when none is given', async () => {
        const source = new ControlledSource<string, string>();
        const cache = new L1Cache(source);
        const read = cache.get('default-named');
        source.resolve(0, 'value');
        await read;

        const start = records.find(
          (record) => record.phase === 'start' && record.context.key === 'default-named',
        );
        expect(start?.snapshot.cache).toBe('L1Cache');
      });
    });

    describe('evict', () => {
      it('publishes the cache and the key evicted to stay within maxEntries', async () => {
        const evictions = listen(CACHE_CHANNELS.evict, subscriptions);
        const { name, source, cache } = setup({ maxEntries: 1 });
        const first = cache.get('first');
        source.resolve(0, 1);
        await first;
        expect(evictions).toEqual([]);

        const second = cache.get('second');
        source.resolve(1, 2);
        await second;

        expect(evictions).toEqual([{ cache: name, key: 'first' }]);
        expect(cache.stats().evictions).toBe(1);
      });
    });

    describe('invalidate', () => {
      it('publishes the key and whether an entry was held', async () => {
        const invalidations = listen(CACHE_CHANNELS.invalidate, subscriptions);
        const { name, source, cache } = setup();
        const read = cache.get('held');
        source.resolve(0, 'value');
        await read;

        expect(cache.invalidate('held')).toBe(true);
        expect(cache.invalidate('absent')).toBe(false);

        expect(invalidations).toEqual([
          { cache: name, key: 'held', hadEntry: true },
          { cache: name, key: 'absent', hadEntry: false },
        ]);
      });
    });

    describe('clear', () => {
      it('publishes how many entries were dropped', async () => {
        const clears = listen(CACHE_CHANNELS.clear, subscriptions);
        const { name, source, cache } = setup();
        const reads = ['a', 'b', 'c'].map((key) => cache.get(key));
        for (let index = 0; index < 3; index++) source.resolve(index, index);
        await Promise.all(reads);

        cache.clear();
        cache.clear();

        expect(clears).toEqual([
          { cache: name, entries: 3 },
          { cache: name, entries: 0 },
        ]);
      });
    });

    describe('loadTimeout', () => {
      it('publishes the key and the timeout that elapsed', async () => {
        const scheduler = new ManualScheduler();
        const timeouts = listen(CACHE_CHANNELS.loadTimeout, subscriptions);
        const { name, cache } = setup({ loadTimeoutMs: 250, scheduler });
        const read = cache.get('slow').catch((error: unknown) => error);

        scheduler.advance(249);
        await settle();
        expect(timeouts).toEqual([]);
        scheduler.advance(1);
        await settle();

        expect(timeouts).toEqual([{ cache: name, key: 'slow', timeoutMs: 250 }]);
        expect(await read).toBeInstanceOf(LoadTimeoutError);
      });
    });

    describe('failSafe', () => {
      it('publishes the key and the error answered with a stale value', async () => {
        const fallbacks = listen(CACHE_CHANNELS.failSafe, subscriptions);
        const clock = new ManualClock();
        const { name, source, cache } = setup({ clock, ttlMs: 100, staleIfErrorMs: 1_000 });
        const first = cache.get('k');
        source.resolve(0, 'old');
        await first;
        clock.advance(100);

        const second = cache.get('k');
        const failure = new Error('backend down');
        source.reject(1, failure);

        await expect(second).resolves.toBe('old');
        expect(fallbacks).toHaveLength(1);
        expect(fallbacks[0]).toEqual({ cache: name, key: 'k', error: failure });
        expect((fallbacks[0] as { error: unknown }).error).toBe(failure);
      });
    });

    describe('with no subscribers', () => {
      it('calls the source directly, once, and passes its value through unchanged', async () => {
        expect(loadChannel.hasSubscribers).toBe(false);
        const tracePromise = vi.spyOn(Object.getPrototypeOf(loadChannel), 'tracePromise');
        const value = { answer: 42 };
        const load = vi.fn(async (_key: string, _options?: unknown) => value);
        const cache = new L1Cache<string, object>({ load });

        await expect(cache.get('k')).resolves.toBe(value);
        await expect(cache.get('k')).resolves.toBe(value);

        expect(load).toHaveBeenCalledTimes(1);
        expect(load.mock.calls[0]?.[0]).toBe('k');
        expect(Object.keys(load.mock.calls[0]?.[1] ?? {})).toEqual(['signal']);
        expect(tracePromise).not.toHaveBeenCalled();
      });

      it('traces the load as soon as someone subscribes (the control for the test above)', async () => {
        const tracePromise = vi.spyOn(Object.getPrototypeOf(loadChannel), 'tracePromise');
        const handlers = { ...ignoreAll };
        loadChannel.subscribe(handlers);
        subscriptions.push(() => loadChannel.unsubscribe(handlers));
        const value = { answer: 42 };
        const cache = new L1Cache<string, object>({ load: async () => value });

        await expect(cache.get('k')).resolves.toBe(value);

        expect(tracePromise).toHaveBeenCalledTimes(1);
      });

      it('publishes nothing on the plain channels and behaves the same', async () => {
        const plain = [
          CACHE_CHANNELS.evict,
          CACHE_CHANNELS.remove,
          CACHE_CHANNELS.invalidate,
          CACHE_CHANNELS.clear,
          CACHE_CHANNELS.loadTimeout,
          CACHE_CHANNELS.failSafe,
        ].map((name) => diagnosticsChannel.channel(name));
        expect(plain.some((channel) => channel.hasSubscribers)).toBe(false);
        const publish = vi.spyOn(Object.getPrototypeOf(plain[0]), 'publish');

        const scheduler = new ManualScheduler();
        const { source, cache } = setup({
          scheduler,
          ttlMs: 100,
          staleIfErrorMs: 1_000,
          maxEntries: 1,
          loadTimeoutMs: 50,
        });
        const first = cache.get('a');
        source.resolve(0, 'a');
        await first;
        scheduler.advance(100);
        const fallback = cache.get('a');
        source.reject(1, new Error('backend down'));
        await expect(fallback).resolves.toBe('a');
        const evicting = cache.get('b');
        source.resolve(2, 'b');
        await evicting;
        const timingOut = cache.get('c').catch((error: unknown) => error);
        scheduler.advance(50);
        expect(await timingOut).toBeInstanceOf(LoadTimeoutError);
        expect(cache.invalidate('b')).toBe(true);
        cache.clear();

        expect(publish).not.toHaveBeenCalled();
        expect(cache.stats()).toMatchObject({
          evictions: 1,
          failSafeFallbacks: 1,
          loadTimeouts: 1,
          invalidations: 1,
        });
      });
    });
  });
});
