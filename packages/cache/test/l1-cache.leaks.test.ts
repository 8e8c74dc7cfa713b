import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { L1Cache } from '../src/index.js';
import { ControlledSource, failOnUnhandledRejections, settle } from './controlled-source.js';

/** A full, synchronous collection, without needing node --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('L1Cache', () => {
  describe('leaks', () => {
    const unhandled = failOnUnhandledRejections();

    it('raises no unhandled rejection when a failed load has no caller left awaiting it', async () => {
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source);
      void cache.get('fire-and-forget');
      void cache.get('invalidated');
      cache.invalidate('invalidated');
      void cache.get('cleared');
      cache.clear();

      for (let index = 0; index < 3; index++)
        source.reject(index, new Error(`load ${index} failed`));
      await settle();
      await settle();

      expect(unhandled).toEqual([]);
    });

    it('empties the in-flight map once every load has settled, whatever the outcome', async () => {
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source);
      const reads = ['ok', 'fails', 'invalidated'].map((key) => cache.get(key));
      cache.invalidate('invalidated');
      expect(cache.pendingLoads).toBe(2);

      source.resolve(0, 'value');
      source.reject(1, new Error('failed'));
      source.resolve(2, 'stale');
      await Promise.allSettled(reads);

      expect(cache.pendingLoads).toBe(0);
    });

    it('leaves no timer or other handle behind to keep the process alive', async () => {
      const before = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
      const cache = new L1Cache<string, string>({ load: async (key) => key }, { ttlMs: 5 });
      await Promise.all(Array.from({ length: 100 }, (_, index) => cache.get(`k${index}`)));
      cache.invalidate('k1');
      cache.clear();
      const after = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
      expect(after).toBe(before);
    });

    it('lets go of the values it evicts, invalidates and clears', async () => {
      const cache = new L1Cache<string, object>(
        { load: async (key) => ({ key }) },
        { maxEntries: 2, evictionPolicy: 'lru' },
      );
      const refs: WeakRef<object>[] = [];
      for (const key of ['evicted first', 'evicted next', 'invalidated', 'cleared']) {
        refs.push(new WeakRef(await cache.get(key)));
      }
      cache.invalidate('invalidated');
      await settle();
      collectGarbage();
      expect(refs.map((ref) => ref.deref() === undefined)).toEqual([true, true, true, false]);

      cache.clear();
      await settle();
      collectGarbage();
      expect(refs[3]?.deref()).toBeUndefined();
    });
  });
});
