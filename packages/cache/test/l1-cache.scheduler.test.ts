import { StorageError } from '@aa/core';
import { ManualScheduler } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import { CacheDisposedError, L1Cache, LoadTimeoutError, type Scheduler } from '../src/index.js';
import {
  ControlledSource,
  failOnUnhandledRejections,
  observe,
  settle,
} from './controlled-source.js';

// Every wait of the cache goes through one injectable scheduler, so its tests
// need neither fake global timers nor real sleeps.
function setup(options: { loadTimeoutMs?: number; ttlMs?: number } = {}) {
  const scheduler = new ManualScheduler();
  const source = new ControlledSource<string, string>();
  const cache = new L1Cache(source, { scheduler, loadTimeoutMs: 1_000, ...options });
  return { scheduler, source, cache };
}

describe('L1Cache', () => {
  describe('with a scheduler', () => {
    failOnUnhandledRejections();

    it('times a load out when the scheduler reaches loadTimeoutMs, not before', async () => {
      const { scheduler, source, cache } = setup();
      const read = observe(cache.get('k'));
      scheduler.advance(999);
      await settle();
      expect(read.state).toBe('pending');
      scheduler.advance(1);
      await settle();
      expect(read.reason).toBeInstanceOf(LoadTimeoutError);
      expect(source.signalOf(0).aborted).toBe(true);
      expect(scheduler.pendingTimers).toBe(0);
    });

    it('clears the load timer when the load settles', async () => {
      const { scheduler, source, cache } = setup();
      const read = cache.get('k');
      expect(scheduler.pendingTimers).toBe(1);
      source.resolve(0, 'v');
      await expect(read).resolves.toBe('v');
      expect(scheduler.pendingTimers).toBe(0);
    });

    it('leaves no timer behind when the source disposes the cache from inside load()', async () => {
      const scheduler = new ManualScheduler();
      let disposeCache = () => {};
      const source = {
        load: (): Promise<string> => {
          disposeCache();
          return Promise.reject(StorageError.backend('load #0'));
        },
      };
      const cache = new L1Cache<string, string>(source, {
        scheduler,
        ttlMs: 256,
        loadTimeoutMs: 192,
      });
      disposeCache = () => cache.dispose();
      await expect(cache.get('a')).rejects.toBeInstanceOf(CacheDisposedError);
      expect(cache.pendingLoads).toBe(0);
      expect(scheduler.pendingTimers).toBe(0);
    });

    it('reads the time from the scheduler: entries expire as it advances', async () => {
      const { scheduler, source, cache } = setup({ ttlMs: 100 });
      const read = cache.get('k');
      source.resolve(0, 'v');
      await read;
      scheduler.advance(99);
      expect(cache.peek('k')).toBe('v');
      scheduler.advance(1);
      expect(cache.peek('k')).toBeUndefined();
    });

    it('reads each of its methods once, binding them to it', async () => {
      const reads: string[] = [];
      const inner = new ManualScheduler();
      const scheduler = {} as Scheduler;
      for (const name of ['now', 'setTimeout', 'clearTimeout'] as const) {
        Object.defineProperty(scheduler, name, {
          get() {
            reads.push(name);
            return (inner[name] as (...args: never[]) => unknown).bind(inner);
          },
        });
      }
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source, { scheduler, loadTimeoutMs: 10 });
      const read = observe(cache.get('k'));
      inner.advance(10);
      await settle();
      expect(read.reason).toBeInstanceOf(LoadTimeoutError);
      expect(reads.sort()).toEqual(['clearTimeout', 'now', 'setTimeout']);
    });

    it.each<[string, unknown, RegExp]>([
      [
        'both `clock` and `scheduler`',
        { clock: new ManualScheduler(), scheduler: new ManualScheduler() },
        /^Expected either `clock` or `scheduler`, got both$/,
      ],
      [
        'a scheduler without setTimeout',
        { scheduler: { now: () => 0, clearTimeout() {} } },
        /^Expected `scheduler` to be an object with `now\(\)`, `setTimeout\(\)` and `clearTimeout\(\)` methods, got /,
      ],
      [
        'a scheduler whose now() is not finite',
        { scheduler: { now: () => Number.NaN, setTimeout() {}, clearTimeout() {} } },
        /^Expected `scheduler.now\(\)` to return a finite number/,
      ],
    ])('rejects %s with a TypeError', (_label, options, message) => {
      expect(() => new L1Cache(new ControlledSource(), options as never)).toThrow(message);
    });
  });
});
