import { describe, expect, it } from 'vitest';
import { EntryStore, NO_SLOT } from '../src/entry-store.js';
import { evictionPolicyFor } from '../src/eviction-policy-factory.js';
import { TimerWheel } from '../src/timer-wheel.js';

/** A promise already rejected with a not-found error, its rejection handled. */
function notFound(): Promise<number> {
  const rejected = Promise.reject(new Error('not found'));
  rejected.catch(() => {});
  return rejected;
}

function storeWith(count: number, freshUntil: number, staleWindowMs = 0) {
  const store = new EntryStore<string, number>(10_000, 0, staleWindowMs);
  for (let i = 0; i < count; i++) {
    store.set(`k${i}`, i, 0, freshUntil);
  }
  return store;
}

describe('EntryStore', () => {
  it('reclaims expired entries on the next write, however the TTLs are mixed', () => {
    const store = new EntryStore<string, number>(10_000, 0, 0);
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
    expect(store.valueAt(store.find('k1'))).toBe(1);
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
    const store = new EntryStore<string, number>(2, 0, 0, evictionPolicyFor('lru', 2));
    store.set('a', 1, 0, 100);
    store.set('b', 2, 0, 100);
    store.set('a', 3, 1, 100);
    store.set('c', 4, 2, 100);
    expect([store.peek('a', 2), store.peek('b', 2), store.peek('c', 2)]).toEqual([3, undefined, 4]);
  });

  it('remembers a NotFound as a negative entry, which peek and valueAt do not show', () => {
    const store = new EntryStore<string, number>(10, 0, 0);
    const rejected = notFound();
    store.setNegative('gone', rejected, 0, 100);
    const slot = store.find('gone');
    expect(store.isNegative(slot)).toBe(true);
    expect(store.hit('gone', 50)).toBe(rejected);
    expect(store.peek('gone', 50)).toBeUndefined();
    expect(store.valueAt(slot)).toBeUndefined();
  });

  it('removes a negative entry when it expires, whatever the stale window', () => {
    const store = storeWith(1, 100, 10_000);
    store.setNegative('gone', notFound(), 0, 100);
    store.reclaim(100 + TimerWheel.RESOLUTION_MS);
    expect(store.find('gone')).toBe(NO_SLOT);
    expect(store.find('k0')).not.toBe(NO_SLOT); // its value waits out the stale window
  });

  it('reclaims an entry overwritten with an earlier deadline at the new one', () => {
    const store = new EntryStore<string, number>(10, 0, 0);
    store.set('a', 1, 0, 100_000);
    store.set('a', 2, 0, 100);
    store.reclaim(100 + TimerWheel.RESOLUTION_MS);
    expect(store.size).toBe(0);
  });

  it('drops the stale window of a value overwritten by a NotFound', () => {
    const store = new EntryStore<string, number>(10, 0, 100_000);
    store.set('a', 1, 0, 100);
    store.setNegative('a', notFound(), 0, 100);
    store.reclaim(100 + TimerWheel.RESOLUTION_MS);
    expect(store.size).toBe(0);
  });

  it('treats a NotFound overwritten by a value as a value, stale window included', async () => {
    const store = new EntryStore<string, number>(10, 0, 100_000);
    store.setNegative('a', notFound(), 0, 100);
    store.set('a', 7, 0, 100);
    store.reclaim(50_000);
    const slot = store.find('a');
    expect(store.isNegative(slot)).toBe(false);
    expect(store.valueAt(slot)).toBe(7);
    await expect(store.promiseAt(slot)).resolves.toBe(7);
  });

  it('tracks a fail-safe retry time only when asked to', () => {
    const tracking = storeWith(1, 10, 5);
    tracking.setRetryAt(tracking.find('k0'), 77);
    expect(tracking.retryAt(tracking.find('k0'))).toBe(77);

    const plain = new EntryStore<string, number>(10, 0, 0);
    plain.set('k', 1, 0, 10);
    plain.setRetryAt(plain.find('k'), 77);
    expect(plain.retryAt(plain.find('k'))).toBe(0);
  });

  it('evicts the least recently used entry and reports its key', () => {
    const evicted: string[] = [];
    const store = new EntryStore<string, number>(2, 0, 0, evictionPolicyFor('lru', 2), {
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
    expect(store.find('k1')).toBe(NO_SLOT);
    store.set('again', 1, 0, 10);
    expect(store.peek('again', 0)).toBe(1);
    store.reclaim(100);
    expect(store.size).toBe(0);
  });
});
