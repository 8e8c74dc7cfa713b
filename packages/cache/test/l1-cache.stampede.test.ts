import { describe, expect, it } from 'vitest';
import { L1Cache } from '../src/index.js';
import { ControlledSource, settle } from './controlled-source.js';

describe('L1Cache', () => {
  describe('get() under a stampede', () => {
    it.each([100, 1_000, 10_000])(
      'loads once for %i concurrent cold reads, and every caller gets the same value',
      async (callers) => {
        const source = new ControlledSource<string, object>();
        const cache = new L1Cache(source);
        const value = { policy: 'shared' };

        const reads = Array.from({ length: callers }, () => cache.get('cold'));
        expect(source.callCount).toBe(1);
        expect(cache.pendingLoads).toBe(1);
        source.resolve(0, value);

        const results = await Promise.all(reads);
        expect(results.every((result) => result === value)).toBe(true);
        expect(source.callCount).toBe(1);
        expect(cache.pendingLoads).toBe(0);
      },
    );

    it('gives every waiting caller the same error from one failed load, and retries nothing', async () => {
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source);
      const failure = new Error('backend down');

      const reads = Array.from({ length: 100 }, () => cache.get('k'));
      source.reject(0, failure);
      const outcomes = await Promise.allSettled(reads);

      expect(outcomes.every((o) => o.status === 'rejected' && o.reason === failure)).toBe(true);
      await settle();
      expect(source.callCount).toBe(1);
      expect(cache.size).toBe(0);
    });

    it('turns a synchronous throw from the source into the same rejection for every caller', async () => {
      const failure = new TypeError('bad key');
      let calls = 0;
      const cache = new L1Cache<string, string>({
        load: () => {
          calls++;
          throw failure;
        },
      });

      const reads = [cache.get('k'), cache.get('k'), cache.get('k')];
      const outcomes = await Promise.allSettled(reads);

      expect(outcomes).toEqual(Array(3).fill({ status: 'rejected', reason: failure }));
      expect(calls).toBe(1);
      expect(cache.pendingLoads).toBe(0);
    });

    it('passes a non-Error rejection through unchanged', async () => {
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source);
      const reading = cache.get('k');
      source.reject(0, 'plain string reason');
      await expect(reading).rejects.toBe('plain string reason');
    });

    it('never caches an error: the next get after a failure loads again', async () => {
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source);
      const failing = cache.get('k');
      source.reject(0, new Error('transient'));
      await expect(failing).rejects.toThrow('transient');

      const retry = cache.get('k');
      expect(source.callCount).toBe(2);
      source.resolve(1, 'recovered');
      await expect(retry).resolves.toBe('recovered');
      await expect(cache.get('k')).resolves.toBe('recovered');
      expect(source.callCount).toBe(2);
    });

    it('adapts a source that returns a non-native thenable', async () => {
      let calls = 0;
      const cache = new L1Cache<string, number>({
        // biome-ignore lint/suspicious/noThenProperty: a thenable is the point of this test
        load: () => ({ then: (resolve: (value: number) => void) => resolve(++calls) }) as never,
      });
      await expect(Promise.all([cache.get('k'), cache.get('k')])).resolves.toEqual([1, 1]);
      await expect(cache.get('k')).resolves.toBe(1);
    });
  });
});
