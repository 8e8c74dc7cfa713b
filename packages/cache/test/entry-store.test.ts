import { describe, expect, it } from 'vitest';
import { EntryStore } from '../src/entry-store.js';
import { evictionPolicyFor } from '../src/eviction-policy-factory.js';
import { Freshness } from '../src/freshness.js';
import { TimerWheel } from '../src/timer-wheel.js';

/** A promise already rejected with a not-found error, its rejection handled. */
function notFound(): Promise<number> {
  const rejected = Promise.reject(new Error('not found'));
  rejected.catch(() => {});
  return rejected;
}

/** Freshness with a stale-while-revalidate window of `staleWindowMs` and `notFoundTtlMs`. */
function rules(staleWindowMs = 0, notFoundTtlMs = 100) {
  return new Freshness<string, number>({ staleWhileRevalidateMs: staleWindowMs, notFoundTtlMs });
}

function storeWith(count: number, freshUntil: number, staleWindowMs = 0) {
  const store = new EntryStore<string, number>(10_000, 0, rules(staleWindowMs));
  for (let i = 0; i < count; i++) {
    store.set(`k${i}`, i, 0, freshUntil);
  }
  return store;
}

describe('EntryStore', () => {
  it('reclaims expired entries on the next write, however the TTLs are mixed', () => {
    const store = new EntryStore<string, number>(10_000, 0, rules());
    for (let i = 0; i < 300; i++) {
      // Deadlines from 10 ms to 10 days, interleaved, so neither insertion nor
      // recency order is expiry order.
      const ttl = [10, 5_000, 600_000, 864_000_000][i % 4] as number;
      store.set(`k${i}`, i, 0, ttl);
    }

    store.set('w', 0, 6_000, 7_000);
    expect(store.size).toBe(151); // the 10 ms and 5 s entries went, `w` arrived

    store.reclaim(864_000_000);
    expect(store.size).toBe(0);
  });

  it('keeps an entry for its stale window, past its freshness', () => {
    const store = storeWith(10, 100, 400);
    store.reclaim(400);
    expect(store.size).toBe(10);
    expect(store.hit('k1', 400)).toBeUndefined();
    expect(store.peek('k1', 400)).toBeUndefined();
    expect(store.staleAnswer('k1', 400)).toMatchObject({ refresh: true });
    expect(store.has('k1')).toBe(true);
    store.reclaim(600);
    expect(store.size).toBe(0);
    expect(store.removals).toEqual({ evictions: 0, expirations: 10, replacements: 0 });
  });

  it('renews an overwritten entry in removal order', () => {
    const store = storeWith(3, 10);
    store.set('k0', 42, 5, 5_000);
    store.reclaim(1_000);
    expect(store.size).toBe(1);
    expect(store.peek('k0', 1_000)).toBe(42);
  });

  it('renews an overwritten entry in recency order', () => {
    const store = new EntryStore<string, number>(2, 0, rules(), evictionPolicyFor('lru', 2));
    store.set('a', 1, 0, 100);
    store.set('b', 2, 0, 100);
    store.set('a', 3, 1, 100);
    store.set('c', 4, 2, 100);
    expect([store.peek('a', 2), store.peek('b', 2), store.peek('c', 2)]).toEqual([3, undefined, 4]);
  });

  it('remembers a NotFound as a negative entry, which peek does not show and nothing falls back to', () => {
    const store = new EntryStore<string, number>(10, 0, rules(1_000));
    const rejected = notFound();
    store.commitNotFound('gone', rejected, 0);
    expect(store.hit('gone', 50)).toBe(rejected);
    expect(store.peek('gone', 50)).toBeUndefined();
    expect(store.loadFailed('gone', 50)).toBeUndefined();
    expect(store.staleAnswer('gone', 100)).toBeUndefined();
    expect(store.has('gone')).toBe(false);
  });

  it('does not remember a NotFound without negative caching, and drops the older value', () => {
    const store = new EntryStore<string, number>(10, 0, rules(1_000, 0));
    store.set('gone', 1, 0, 100);
    store.commitNotFound('gone', notFound(), 10);
    expect(store.has('gone')).toBe(false);
    expect(store.removals.replacements).toBe(1);
  });

  it('commits a value for its TTL, and a TTL of 0 as no entry at all', () => {
    const store = new EntryStore<string, number>(10, 0, rules(1_000));
    store.commit('a', 1, 10, 100);
    expect(store.peek('a', 109)).toBe(1);
    expect(store.peek('a', 110)).toBeUndefined();
    store.commit('a', 2, 120, 0);
    expect(store.has('a')).toBe(false);
  });

  it('removes a negative entry when it expires, whatever the stale window', () => {
    const store = storeWith(1, 100, 10_000);
    store.commitNotFound('gone', notFound(), 0);
    store.reclaim(100 + TimerWheel.RESOLUTION_MS);
    expect(store.has('gone')).toBe(false);
    expect(store.has('k0')).toBe(true); // its value waits out the stale window
  });

  it('reclaims an entry overwritten with an earlier deadline at the new one', () => {
    const store = new EntryStore<string, number>(10, 0, rules());
    store.set('a', 1, 0, 100_000);
    store.set('a', 2, 0, 100);
    store.reclaim(100 + TimerWheel.RESOLUTION_MS);
    expect(store.size).toBe(0);
  });

  it('drops the stale window of a value overwritten by a NotFound', () => {
    const store = new EntryStore<string, number>(10, 0, rules(100_000));
    store.set('a', 1, 0, 100);
    store.commitNotFound('a', notFound(), 0);
    store.reclaim(100 + TimerWheel.RESOLUTION_MS);
    expect(store.size).toBe(0);
  });

  it('treats a NotFound overwritten by a value as a value, stale window included', async () => {
    const store = new EntryStore<string, number>(10, 0, rules(100_000));
    store.commitNotFound('a', notFound(), 0);
    store.set('a', 7, 0, 100);
    store.reclaim(50_000);
    const stale = store.staleAnswer('a', 50_000);
    expect(stale?.refresh).toBe(true);
    await expect(stale?.promise).resolves.toBe(7);
  });

  it('holds off retries after a failed load, and falls back within the stale-if-error window', () => {
    const freshness = new Freshness<string, number>({
      staleWhileRevalidateMs: 100,
      staleIfErrorMs: 1_000,
      failSafeRetryMs: 500,
    });
    const store = new EntryStore<string, number>(10, 0, freshness);
    store.set('k', 7, 0, 10);
    expect(store.staleAnswer('k', 20)).toMatchObject({ refresh: true });
    expect(store.loadFailed('k', 20)).toEqual({ value: 7 });
    // Retries held off until 520: served without a refresh, in either window.
    expect(store.staleAnswer('k', 50)).toMatchObject({ refresh: false });
    expect(store.staleAnswer('k', 400)).toMatchObject({ refresh: false });
    expect(store.staleAnswer('k', 600)).toBeUndefined();
    expect(store.loadFailed('k', 1_010)).toBeUndefined();
  });

  it('keeps no retry time without a stale window', () => {
    const store = new EntryStore<string, number>(10, 0, rules());
    store.set('k', 1, 0, 10);
    expect(store.loadFailed('k', 15)).toBeUndefined();
    expect(store.staleAnswer('k', 10)).toBeUndefined();
  });

  it('evicts the least recently used entry and reports its key', () => {
    const evicted: string[] = [];
    const store = new EntryStore<string, number>(2, 0, rules(), evictionPolicyFor('lru', 2), {
      wants: () => true,
      removed: (key, cause) => {
        if (cause === 'evicted') evicted.push(key);
      },
    });
    store.set('a', 1, 0, 100);
    store.set('b', 2, 0, 100);
    store.hit('a', 1);
    store.set('c', 3, 1, 100);
    expect(evicted).toEqual(['b']);
    expect(store.removals.evictions).toBe(1);
  });

  it('starts afresh after clear(), reusing its slots', () => {
    const store = storeWith(100, 10);
    store.clear(0);
    expect(store.size).toBe(0);
    expect(store.has('k1')).toBe(false);
    store.set('again', 1, 0, 10);
    expect(store.peek('again', 0)).toBe(1);
    store.reclaim(100);
    expect(store.size).toBe(0);
  });
});
