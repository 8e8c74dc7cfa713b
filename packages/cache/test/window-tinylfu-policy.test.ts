import { describe, expect, it } from 'vitest';
import { EntryStore } from '../src/entry-store.js';
import { evictionPolicyFor } from '../src/eviction-policy-factory.js';
import { Freshness } from '../src/freshness.js';

/** Reads `key` from the store, inserting it on a miss; returns whether it was a hit. */
function read(store: EntryStore<string, string>, key: string): boolean {
  if (store.hit(key, 0) !== undefined) return true;
  store.set(key, key, 0, 1e12);
  return false;
}

describe('WindowTinyLfuPolicy', () => {
  it('keeps serving a hot set through a scan of one-off keys, where LRU loses it', () => {
    // 50 hot keys read round-robin, one read in four; the other three are
    // one-off keys, so 150 of them pass between two reads of a hot key: more
    // than the 100 entries an LRU can hold.
    const hotHitRatio = (policy: 'w-tinylfu' | 'lru') => {
      const store = new EntryStore<string, string>(
        100,
        0,
        new Freshness({}),
        evictionPolicyFor(policy, 100),
      );
      let hotReads = 0;
      let hotHits = 0;
      for (let step = 0; step < 40_000; step++) {
        if (step % 4 === 0) {
          hotReads++;
          if (read(store, `hot${(step / 4) % 50}`)) hotHits++;
        } else {
          read(store, `scan${step}`);
        }
      }
      expect(store.size).toBe(100);
      return hotHits / hotReads;
    };
    expect(hotHitRatio('w-tinylfu')).toBeGreaterThan(0.95);
    expect(hotHitRatio('lru')).toBe(0);
  });

  it('admits a newcomer that becomes popular', () => {
    const store = new EntryStore<string, string>(
      10,
      0,
      new Freshness({}),
      evictionPolicyFor('w-tinylfu', 10),
    );
    for (let index = 0; index < 10; index++) read(store, `old${index}`);
    // Each read of `rising` that misses is a load, and every load counts.
    let hits = 0;
    for (let round = 0; round < 10; round++) if (read(store, 'rising')) hits++;
    expect(hits).toBeGreaterThan(0);
    expect(store.peek('rising', 0)).toBe('rising');
  });

  it('never evicts the entry just inserted, so a load is always stored', () => {
    const store = new EntryStore<string, string>(
      1,
      0,
      new Freshness({}),
      evictionPolicyFor('w-tinylfu', 1),
    );
    read(store, 'hot');
    for (let round = 0; round < 5; round++) read(store, 'hot');
    read(store, 'new');
    expect(store.peek('new', 0)).toBe('new');
    expect(store.peek('hot', 0)).toBeUndefined();
  });

  it('evicts as LRU would while frequencies tie', () => {
    const store = new EntryStore<string, string>(
      3,
      0,
      new Freshness({}),
      evictionPolicyFor('w-tinylfu', 3),
    );
    for (const key of ['a', 'b', 'c', 'a', 'd']) read(store, key);
    expect(['a', 'b', 'c', 'd'].map((key) => store.peek(key, 0))).toEqual([
      'a',
      undefined,
      'c',
      'd',
    ]);
  });

  it('never holds more than maxEntries, down to a cache of one', () => {
    for (const maxEntries of [1, 2, 3, 100]) {
      const store = new EntryStore<string, string>(
        maxEntries,
        0,
        new Freshness({}),
        evictionPolicyFor('w-tinylfu', maxEntries),
      );
      for (let index = 0; index < 1_000; index++) {
        read(store, `k${index % (maxEntries * 3)}`);
        expect(store.size).toBeLessThanOrEqual(maxEntries);
      }
    }
  });

  it('keeps its segments consistent through deletes, clears and regrowth', () => {
    const store = new EntryStore<string, string>(
      50,
      0,
      new Freshness({}),
      evictionPolicyFor('w-tinylfu', 50),
    );
    for (let round = 0; round < 20; round++) {
      for (let index = 0; index < 80; index++) read(store, `k${(index * 7 + round) % 120}`);
      for (let index = 0; index < 120; index += 9) store.delete(`k${index}`, 'invalidated');
      if (round % 7 === 6) store.clear(0);
      expect(store.size).toBeLessThanOrEqual(50);
    }
    for (let index = 0; index < 200; index++) read(store, `after${index}`);
    expect(store.size).toBe(50);
  });
});
