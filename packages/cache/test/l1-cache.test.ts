import { AgentId, type CacheSource } from '@aa/core';
import { ManualClock, MemoryPolicyStore, samplePolicy } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import { L1Cache } from '../src/index.js';
import { ControlledSource } from './controlled-source.js';

const agent = (seed: number) => AgentId.fromBytes(new Uint8Array(16).fill(seed));

describe('L1Cache', () => {
  describe('ported from the Rust original', () => {
    it('populates on a miss, then serves from the cache', async () => {
      const id = agent(1);
      const cache = new L1Cache(MemoryPolicyStore.withPolicy(id, samplePolicy(1)), {
        ttlMs: 60_000,
      });

      expect((await cache.get(id)).version).toBe(1);
      expect((cache.source as MemoryPolicyStore).callCount()).toBe(1);
      expect(cache.size).toBe(1);

      expect((await cache.get(id)).version).toBe(1);
      expect((cache.source as MemoryPolicyStore).callCount()).toBe(1);
    });

    it('treats an expired entry as a miss', async () => {
      const id = agent(2);
      const clock = new ManualClock();
      const store = MemoryPolicyStore.withPolicy(id, samplePolicy(1));
      const cache = new L1Cache(store, { ttlMs: 20, clock });

      await cache.get(id);
      expect(store.callCount()).toBe(1);

      clock.advance(40);
      await cache.get(id);
      expect(store.callCount()).toBe(2);
    });

    it('invalidate evicts the cached entry', async () => {
      const id = agent(3);
      const store = MemoryPolicyStore.withPolicy(id, samplePolicy(1));
      const cache = new L1Cache(store, { ttlMs: 60_000 });

      await cache.get(id);
      expect(cache.size).toBe(1);

      expect(cache.invalidate(id)).toBe(true);
      expect(cache.size).toBe(0);
      expect(cache.invalidate(id)).toBe(false);

      await cache.get(id);
      expect(store.callCount()).toBe(2);
    });

    it('collapses 100 concurrent misses into one load', async () => {
      const id = agent(4);
      const store = MemoryPolicyStore.withPolicy(id, samplePolicy(7)).withDelay(50);
      const cache = new L1Cache(store, { ttlMs: 60_000 });

      const policies = await Promise.all(Array.from({ length: 100 }, () => cache.get(id)));

      expect(policies.every((policy) => policy.version === 7)).toBe(true);
      expect(store.callCount()).toBe(1);
    });
  });

  describe('get()', () => {
    it('expires an entry ttlMs after its load completed, not after it started', async () => {
      const clock = new ManualClock();
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source, { ttlMs: 1_000, clock });

      const loading = cache.get('k');
      clock.advance(500); // the load takes 500 ms
      source.resolve(0, 'v1');
      await loading;

      clock.advance(999);
      expect(cache.peek('k')).toBe('v1');
      await expect(cache.get('k')).resolves.toBe('v1');
      expect(source.callCount).toBe(1);

      clock.advance(1); // exactly ttlMs after completion: expired
      expect(cache.peek('k')).toBeUndefined();
      const reloading = cache.get('k');
      expect(source.callCount).toBe(2);
      source.resolve(1, 'v2');
      await expect(reloading).resolves.toBe('v2');
    });

    it('hands every hit the same settled promise, allocating nothing per hit', async () => {
      const cache = new L1Cache(new MemoryPolicyStore().insert(agent(5), samplePolicy(1)));
      await cache.get(agent(5));
      expect(cache.get(agent(5))).toBe(cache.get(agent(5)));
    });

    it('keeps different keys apart, one load each', async () => {
      const store = new MemoryPolicyStore()
        .insert(agent(1), samplePolicy(1))
        .insert(agent(2), samplePolicy(2));
      const cache = new L1Cache(store);

      const [first, second] = await Promise.all([cache.get(agent(1)), cache.get(agent(2))]);

      expect([first.version, second.version]).toEqual([1, 2]);
      expect([store.callCountFor(agent(1)), store.callCountFor(agent(2))]).toEqual([1, 1]);
    });

    it('passes a NotFound from the store through and caches nothing', async () => {
      const store = new MemoryPolicyStore();
      const cache = new L1Cache(store);

      await expect(cache.get(agent(9))).rejects.toMatchObject({ kind: 'NotFound' });
      await expect(cache.get(agent(9))).rejects.toMatchObject({ kind: 'NotFound' });
      expect(store.callCount()).toBe(2);
      expect(cache.size).toBe(0);
    });
  });

  describe('peek()', () => {
    it('returns a fresh value synchronously without loading or joining a load', async () => {
      const source = new ControlledSource<string, string>();
      const cache = new L1Cache(source);

      expect(cache.peek('k')).toBeUndefined();
      expect(source.callCount).toBe(0);

      const loading = cache.get('k');
      expect(cache.peek('k')).toBeUndefined();
      source.resolve(0, 'v');
      await loading;
      expect(cache.peek('k')).toBe('v');
      expect(source.callCount).toBe(1);
    });
  });

  describe('source', () => {
    it('is the wrapped source', () => {
      const source: CacheSource<string, number> = { load: async () => 1 };
      expect(new L1Cache(source).source).toBe(source);
    });
  });
});
