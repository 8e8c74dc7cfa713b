import { randomUUID } from 'node:crypto';
import {
  AgentId,
  isStorageError,
  OrgId,
  type PolicyDocument,
  SYSTEM_ORG_ID,
  TenantAgentKey,
  tenantInvalidationSink,
} from '@aa/core';
import { ManualClock, MemoryPolicyStore, samplePolicy } from '@aa/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { L1Cache, type L1CacheOptions } from '../src/index.js';

// One L1Cache keyed by TenantAgentKey serves every tenant. The promise under
// test: tenant B never receives tenant A's policy, whichever path the cache
// answers from (a hit, a load in flight, a stale window, a fail-safe
// fallback, a remembered NotFound).

const TTL_MS = 1_000;
const A = OrgId.parse(randomUUID());
const B = OrgId.parse(randomUUID());
const AGENT = AgentId.parse(randomUUID());
const keyOf = (org: OrgId) => TenantAgentKey.of(org, AGENT);

/** A's policy is version 1; B has none unless a test gives it one. */
function setup(options: L1CacheOptions<TenantAgentKey, PolicyDocument> = {}) {
  const clock = new ManualClock();
  const store = new MemoryPolicyStore().insert(AGENT, samplePolicy(1), { orgId: A });
  const source = store.tenantSource();
  const cache = new L1Cache(source, { ttlMs: TTL_MS, clock, ...options });
  caches.push(cache);
  return { clock, store, source, cache };
}

const caches: L1Cache<TenantAgentKey, PolicyDocument>[] = [];
afterEach(() => {
  for (const cache of caches.splice(0)) cache.dispose();
});

async function expectNotFound(read: Promise<unknown>): Promise<void> {
  const error = await read.then(
    (value) => new Error(`resolved with ${JSON.stringify(value)}`),
    (caught: unknown) => caught,
  );
  expect(isStorageError(error, 'NotFound'), String(error)).toBe(true);
}

describe('L1Cache over a tenant source', () => {
  it("answers B NotFound while A's entry is cached, and loads B's own key", async () => {
    const { cache, store } = setup();
    await expect(cache.get(keyOf(A))).resolves.toEqual(samplePolicy(1));
    await expectNotFound(cache.get(keyOf(B)));
    expect(store.callCountFor(AGENT, { orgId: B })).toBe(1);
    expect(cache.peek(keyOf(B))).toBeUndefined();
  });

  it("never lets B join A's load in flight: concurrent cold loads stay one per tenant", async () => {
    const { cache, store } = setup();
    store.insert(AGENT, samplePolicy(2), { orgId: B });
    store.holdLoads();
    const reads = Array.from({ length: 40 }, (_, index) => cache.get(keyOf(index % 2 ? B : A)));
    expect(store.pendingCount()).toBe(2);
    store.releaseLoads();
    const policies = await Promise.all(reads);
    policies.forEach((policy, index) => {
      expect(policy.version).toBe(index % 2 ? 2 : 1);
    });
    expect(store.callCountFor(AGENT, { orgId: A })).toBe(1);
    expect(store.callCountFor(AGENT, { orgId: B })).toBe(1);
  });

  it("serves B nothing of A's from a stale window", async () => {
    const { cache, clock, store } = setup({ staleWhileRevalidateMs: 60_000 });
    await cache.get(keyOf(A));
    clock.advance(TTL_MS + 1);
    await expect(cache.get(keyOf(A))).resolves.toEqual(samplePolicy(1)); // stale, refreshing
    await expectNotFound(cache.get(keyOf(B)));
    expect(store.callCountFor(AGENT, { orgId: B })).toBe(1);
  });

  it("serves B nothing of A's as a fail-safe fallback when the backend fails", async () => {
    const { cache, clock, store } = setup({ staleIfErrorMs: 60_000 });
    await cache.get(keyOf(A));
    clock.advance(TTL_MS + 1);
    store.failNext(2);
    await expect(cache.get(keyOf(A))).resolves.toEqual(samplePolicy(1)); // A's own fallback
    const error = await cache.get(keyOf(B)).catch((caught: unknown) => caught);
    expect(isStorageError(error, 'Backend'), String(error)).toBe(true);
  });

  it("keeps a remembered NotFound of B from hiding A's policy, and the other way round", async () => {
    const { cache, store } = setup({ notFoundTtlMs: 60_000 });
    await expectNotFound(cache.get(keyOf(B)));
    await expect(cache.get(keyOf(A))).resolves.toEqual(samplePolicy(1));
    store.insert(AGENT, samplePolicy(2), { orgId: B });
    await expectNotFound(cache.get(keyOf(B))); // B's own negative entry, until invalidated
    cache.invalidate(keyOf(B));
    await expect(cache.get(keyOf(B))).resolves.toEqual(samplePolicy(2));
  });
});

describe('tenantInvalidationSink() over that cache', () => {
  it("drops an agent's entries under every tenant, and leaves other agents alone", async () => {
    const { cache, store, source } = setup();
    const other = AgentId.parse(randomUUID());
    store.insert(AGENT, samplePolicy(2), { orgId: B });
    store.insert(AGENT, samplePolicy(3)); // the system org
    store.insert(other, samplePolicy(4), { orgId: A });
    for (const org of [A, B, SYSTEM_ORG_ID]) await cache.get(keyOf(org));
    await cache.get(TenantAgentKey.of(A, other));

    tenantInvalidationSink(cache, source.orgs).invalidate(AGENT);

    for (const org of [A, B, SYSTEM_ORG_ID]) expect(cache.peek(keyOf(org))).toBeUndefined();
    expect(cache.peek(TenantAgentKey.of(A, other))).toEqual(samplePolicy(4));
  });

  it('stops a load in flight under any tenant from storing what it read before', async () => {
    const { cache, store, source } = setup();
    store.holdLoads();
    const read = cache.get(keyOf(A));
    tenantInvalidationSink(cache, source.orgs).invalidate(AGENT);
    store.insert(AGENT, samplePolicy(9), { orgId: A });
    store.releaseLoads();
    await read;
    expect(cache.peek(keyOf(A))).toBeUndefined();
    await expect(cache.get(keyOf(A))).resolves.toEqual(samplePolicy(9));
  });

  it('clears every tenant on clear(), as an empty invalidation asks', async () => {
    const { cache, store, source } = setup();
    store.insert(AGENT, samplePolicy(2), { orgId: B });
    await cache.get(keyOf(A));
    await cache.get(keyOf(B));
    tenantInvalidationSink(cache, source.orgs).clear();
    expect(cache.size).toBe(0);
  });
});
