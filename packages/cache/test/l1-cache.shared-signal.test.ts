import diagnosticsChannel from 'node:diagnostics_channel';
import type { LoadOptions } from '@aa/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CACHE_CHANNELS, L1Cache, type LoadEvent } from '../src/index.js';
import {
  ControlledSource,
  failOnUnhandledRejections,
  observe,
  settle,
} from './controlled-source.js';

/** A source whose load first runs `during`, synchronously, then waits like a ControlledSource. */
class SynchronousHookSource extends ControlledSource<string, string> {
  during: (() => void) | undefined;

  override load(key: string, options?: LoadOptions): Promise<string> {
    const loading = super.load(key, options);
    this.during?.();
    return loading;
  }
}

describe('L1Cache', () => {
  describe('get() with a signal', () => {
    failOnUnhandledRejections();
    const cleanups: Array<() => void> = [];
    afterEach(() => {
      for (const cleanup of cleanups.splice(0)) cleanup();
      vi.restoreAllMocks();
    });

    describe('aborted while the source runs load() synchronously', () => {
      it('rejects the caller at once with the reason, and cancels the load it alone wanted', async () => {
        const source = new SynchronousHookSource();
        const cache = new L1Cache(source);
        const controller = new AbortController();
        const reason = new Error('client went away');
        source.during = () => controller.abort(reason);

        const read = observe(cache.get('k', { signal: controller.signal }));
        await settle();

        expect(read.state).toBe('rejected');
        expect(read.reason).toBe(reason);
        expect(source.signalOf(0).aborted).toBe(true);
        expect(cache.pendingLoads).toBe(0);
        expect(cache.stats().cancellations).toBe(1);
      });

      it('rejects the caller at once when a load:start subscriber aborts it', async () => {
        const source = new ControlledSource<string, string>();
        const name = 'shared-signal-start-subscriber';
        const cache = new L1Cache(source, { name });
        const controller = new AbortController();
        const channel = diagnosticsChannel.tracingChannel<unknown, LoadEvent>(CACHE_CHANNELS.load);
        const handlers = {
          start: (event: LoadEvent) => {
            if (event.cache === name) controller.abort('stop');
          },
          end() {},
          asyncStart() {},
          asyncEnd() {},
          error() {},
        };
        channel.subscribe(handlers);
        cleanups.push(() => channel.unsubscribe(handlers));

        const read = observe(cache.get('k', { signal: controller.signal }));
        await settle();
        expect(read.state).toBe('rejected');
        expect(read.reason).toBe('stop');
      });

      it('leaves the load to a caller without a signal that joined before', async () => {
        const source = new SynchronousHookSource();
        const cache = new L1Cache(source);
        const controller = new AbortController();
        const first = observe(cache.get('k', { signal: controller.signal }));
        source.during = undefined;
        expect(first.state).toBe('pending');
        // A second caller of a second key aborts during its own load.
        const other = new AbortController();
        source.during = () => other.abort('bye');
        const second = observe(cache.get('j', { signal: other.signal }));
        await settle();
        expect(second.state).toBe('rejected');
        expect(first.state).toBe('pending');
        source.resolve(0, 'v');
        await settle();
        expect(first.value).toBe('v');
      });
    });

    describe('shared by many concurrent gets', () => {
      it('raises no MaxListenersExceededWarning for 100 callers', async () => {
        const warnings: Error[] = [];
        const onWarning = (warning: Error) => warnings.push(warning);
        process.on('warning', onWarning);
        cleanups.push(() => process.off('warning', onWarning));
        const source = new ControlledSource<string, string>();
        const cache = new L1Cache(source);
        const { signal } = new AbortController();

        const reads = Array.from({ length: 100 }, (_, index) =>
          cache.get(`k${index % 20}`, { signal }),
        );
        for (let index = 0; index < 20; index++) source.resolve(index, `v${index}`);
        await Promise.all(reads);
        await settle();

        expect(
          warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning'),
        ).toEqual([]);
      });

      it('registers one abort listener, removed once every caller has settled', async () => {
        const source = new ControlledSource<string, string>();
        const cache = new L1Cache(source);
        const { signal } = new AbortController();
        const added = vi.spyOn(signal, 'addEventListener');
        const removed = vi.spyOn(signal, 'removeEventListener');

        const reads = Array.from({ length: 30 }, (_, index) =>
          cache.get(`k${index % 3}`, { signal }),
        );
        expect(added).toHaveBeenCalledTimes(1);
        for (let index = 0; index < 3; index++) source.resolve(index, `v${index}`);
        await Promise.all(reads);
        await settle();
        expect(removed).toHaveBeenCalledTimes(1);
        expect(removed.mock.calls[0]?.[1]).toBe(added.mock.calls[0]?.[1]);
      });

      it('rejects every caller with the reason when it aborts, and cancels every load', async () => {
        const source = new ControlledSource<string, string>();
        const cache = new L1Cache(source);
        const controller = new AbortController();
        const reads = Array.from({ length: 12 }, (_, index) =>
          observe(cache.get(`k${index % 4}`, { signal: controller.signal })),
        );
        controller.abort('done');
        await settle();
        expect(reads.map((read) => read.reason)).toEqual(Array(12).fill('done'));
        for (let index = 0; index < 4; index++) expect(source.signalOf(index).aborted).toBe(true);
        expect(cache.stats().cancellations).toBe(12);
      });
    });
  });
});
