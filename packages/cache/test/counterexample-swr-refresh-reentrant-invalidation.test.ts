import type { LoadOptions } from '@aa/core';
import { ManualClock } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import { L1Cache } from '../src/index.js';
import { ControlledSource, settle } from './controlled-source.js';

/** A source whose next `load` first calls `onNextLoad`, synchronously: a re-entrant source. */
class ReentrantSource extends ControlledSource<string, string> {
  onNextLoad: ((key: string) => void) | undefined;

  override load(key: string, options?: LoadOptions): Promise<string> {
    const loading = super.load(key, options);
    const reenter = this.onNextLoad;
    this.onNextLoad = undefined;
    reenter?.(key);
    return loading;
  }
}

/** The options of the property test's "staleWhileRevalidateMs" preset. */
function setup() {
  const clock = new ManualClock();
  const source = new ReentrantSource();
  const cache = new L1Cache(source, {
    ttlMs: 256,
    staleWhileRevalidateMs: 192,
    failSafeRetryMs: 128,
    clock,
  });
  return { clock, source, cache };
}

// Found by test/property/l1-cache.model.test.ts (preset "staleWhileRevalidateMs").
// `#staleAnswer` starts the background refresh and then keeps using the entry's
// slot: `touch(slot)` and `return promiseAt(slot)`. When the source's load()
// invalidates the key (or clears the cache) synchronously, that slot has just
// been freed: `promiseAt` returns undefined, so `get` falls through to the miss
// path and starts a second load, the get counts as both a stale hit and a
// miss, and the eviction policy is told of a use of a free slot, which links it
// back into its lists. (With `evictionPolicy: 'lru'` and maxEntries 2, every key
// loaded afterwards is evicted at once; with W-TinyLFU and maxEntries <= 5, most
// are.)
describe('L1Cache', () => {
  describe('staleWhileRevalidateMs, when the refresh’s load() invalidates the key from inside', () => {
    // Shrunk counterexample:
    //   1. get('b', signal #0) → starts load #0
    //   2. arm the source: its next load calls invalidate() on the cache
    //   3. resolve load #0; 4. flush
    //   5. advance 256 ms → t=256 (the entry has just expired: the stale window opens)
    //   6. get('b', signal #0) → expected: the stale value and one refresh; got loads of [b, b]
    it('answers one get with one refresh load, counted once', async () => {
      const { clock, source, cache } = setup();
      const signal = new AbortController().signal;
      const first = cache.get('b', { signal });
      source.onNextLoad = (key) => cache.invalidate(key);
      source.resolve(0, 'b@v0');
      await settle();
      await expect(first).resolves.toBe('b@v0');
      clock.advance(256);

      const read = cache.get('b', { signal });

      expect.soft(source.callCount).toBe(2);
      const { staleHits, misses } = cache.stats();
      expect.soft(staleHits + misses).toBe(2);
      for (let index = 1; index < source.callCount; index++) source.resolve(index, `b@${index}`);
      await settle();
      await expect(read).resolves.toMatch(/^b@/);
    });
  });

  describe('staleWhileRevalidateMs, when the refresh’s load() clears the cache from inside', () => {
    // Shrunk counterexample:
    //   1. get('a', signal #0) → starts load #0
    //   2. resolve load #0; 3. flush
    //   4. advance 128 ms; 5. advance 128 ms → t=256
    //   6. arm the source: its next load calls clear() on the cache
    //   7. get('a', signal #1) → expected: the stale value and one refresh; got loads of [a, a]
    it('answers one get with one refresh load, counted once', async () => {
      const { clock, source, cache } = setup();
      const first = cache.get('a', { signal: new AbortController().signal });
      source.resolve(0, 'a@v0');
      await settle();
      await expect(first).resolves.toBe('a@v0');
      clock.advance(128);
      clock.advance(128);
      source.onNextLoad = () => cache.clear();

      const read = cache.get('a', { signal: new AbortController().signal });

      expect.soft(source.callCount).toBe(2);
      const { staleHits, misses } = cache.stats();
      expect.soft(staleHits + misses).toBe(2);
      for (let index = 1; index < source.callCount; index++) source.resolve(index, `a@${index}`);
      await settle();
      await expect(read).resolves.toMatch(/^a@/);
    });
  });
});
