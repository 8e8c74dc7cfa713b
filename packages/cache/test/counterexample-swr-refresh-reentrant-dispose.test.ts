import type { LoadOptions } from '@aa/core';
import { ManualClock } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import { L1Cache } from '../src/index.js';
import { ControlledSource, settle } from './controlled-source.js';

/** A source whose next `load` first calls `onNextLoad`, synchronously: a re-entrant source. */
class ReentrantSource extends ControlledSource<string, string> {
  onNextLoad: (() => void) | undefined;

  override load(key: string, options?: LoadOptions): Promise<string> {
    const loading = super.load(key, options);
    const reenter = this.onNextLoad;
    this.onNextLoad = undefined;
    reenter?.();
    return loading;
  }
}

// Found by test/property/l1-cache.model.test.ts (preset "staleWhileRevalidateMs"),
// shrunk to:
//   1. get('b', signal #0) → starts load #0
//   2. resolve load #0; 3. flush
//   4. advance 384 ms → t=384 (expired at 256, within the 192 ms stale window)
//   5. arm the source: its next load calls dispose() on the cache
//   6. get('b', signal #0) → the refresh (load #1) disposes the cache; expected the
//      stale value (or a CacheDisposedError), got a second load: [b, b]
// Same flaw as counterexample-swr-refresh-reentrant-invalidation: `#staleAnswer`
// reads the entry's slot after the refresh re-entered the cache. dispose() has
// emptied the store, `promiseAt(slot)` is undefined, and `get` goes on to start a
// load on the disposed cache, past its `#disposed` check: the source is called
// after dispose(), `pendingLoads` is 1 after dispose(), and that load's value is
// then stored in the disposed cache.
describe('L1Cache', () => {
  describe('staleWhileRevalidateMs, when the refresh’s load() disposes the cache from inside', () => {
    it('starts no load after dispose() and stores nothing in the disposed cache', async () => {
      const clock = new ManualClock();
      const source = new ReentrantSource();
      const cache = new L1Cache(source, {
        ttlMs: 256,
        staleWhileRevalidateMs: 192,
        failSafeRetryMs: 128,
        clock,
      });
      const signal = new AbortController().signal;
      const first = cache.get('b', { signal });
      source.resolve(0, 'b@v0');
      await settle();
      await expect(first).resolves.toBe('b@v0');
      clock.advance(384);
      source.onNextLoad = () => cache.dispose();

      const read = cache.get('b', { signal });

      expect.soft(source.callCount).toBe(2);
      expect.soft(cache.pendingLoads).toBe(0);
      for (let index = 1; index < source.callCount; index++) source.resolve(index, `b@${index}`);
      await settle();
      await read.catch(() => undefined);
      expect.soft(cache.size).toBe(0);
      expect.soft(cache.peek('b')).toBeUndefined();
    });
  });
});
