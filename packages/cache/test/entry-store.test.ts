import { describe, expect, it } from 'vitest';
import { EntryStore } from '../src/entry-store.js';

function storeWith(count: number, expiresAt: number) {
  const store = new EntryStore<string, number>(10_000);
  for (let i = 0; i < count; i++) store.set(`k${i}`, i, Promise.resolve(i), 0, expiresAt);
  return store;
}

describe('EntryStore', () => {
  it('reclaims expired entries on writes, a bounded batch per write, until none is left', () => {
    const store = storeWith(100, 10);
    const now = 20;

    store.set('w0', 0, Promise.resolve(0), now, now + 10);
    expect(store.size).toBeLessThan(100);
    expect(store.size).toBeGreaterThan(1);

    for (let i = 1; i < 4; i++) store.set(`w${i}`, i, Promise.resolve(i), now, now + 10);
    expect(store.size).toBe(4);
  });

  it('keeps entries that have not expired when reclaiming', () => {
    const store = storeWith(10, 100);
    store.reclaimExpired(99, Number.POSITIVE_INFINITY);
    expect(store.size).toBe(10);
    store.reclaimExpired(100, Number.POSITIVE_INFINITY);
    expect(store.size).toBe(0);
  });

  it('renews an overwritten entry in both recency and expiry order', () => {
    const store = storeWith(3, 10);
    store.set('k0', 42, Promise.resolve(42), 5, 50);
    store.reclaimExpired(20, Number.POSITIVE_INFINITY);
    expect(store.size).toBe(1);
    expect(store.peek('k0', 20)).toBe(42);
  });

  it('reuses the slots it frees after clear()', () => {
    const store = storeWith(100, 10);
    store.clear();
    expect(store.size).toBe(0);
    expect(store.peek('k1', 0)).toBeUndefined();
    store.set('again', 1, Promise.resolve(1), 0, 10);
    expect(store.peek('again', 0)).toBe(1);
  });
});
