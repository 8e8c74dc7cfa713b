import { randomUUID } from 'node:crypto';
import { L1Cache } from '@aa/cache';
import {
  AgentId,
  isInvalidIdError,
  isStorageError,
  OrgId,
  type PolicyDocument,
  SYSTEM_ORG_ID,
  TenantAgentKey,
} from '@aa/core';
import {
  FaultProxy,
  freshRedisDatabase,
  REDIS_URL,
  redisAvailable,
  redisUrlOf,
  waitUntil,
} from '@aa/test-infra';
import { MemoryPolicyStore, samplePolicy } from '@aa/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { policyKeys, RedisPolicyCache, TieredPolicySource } from '../src/index.js';

const DB = 12;
const available = await redisAvailable();
const redisTarget = (() => {
  const { hostname, port } = new URL(REDIS_URL);
  return { host: hostname, port: Number(port || 6379) };
})();

const freshAgent = () => AgentId.parse(randomUUID());
const freshOrg = () => OrgId.parse(randomUUID());

describe.runIf(available)('TieredPolicySource (L2 in Redis, origin in memory)', () => {
  let admin: Redis;
  let l2: RedisPolicyCache;
  const closers: (() => unknown)[] = [];

  beforeAll(async () => {
    admin = await freshRedisDatabase(DB);
    l2 = new RedisPolicyCache({ url: redisUrlOf(DB) });
    await l2.connect();
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  afterAll(async () => {
    await l2.close();
    await admin.flushdb();
    admin.disconnect();
  });

  it('loads a miss from the origin and fills the L2; another instance then reads the L2 only', async () => {
    const origin = new MemoryPolicyStore();
    const [org, agent] = [freshOrg(), freshAgent()];
    origin.insert(agent, samplePolicy(4), { orgId: org });
    const key = TenantAgentKey.of(org, agent);

    const first = new TieredPolicySource({ l2, origin });
    await expect(first.load(key)).resolves.toEqual(samplePolicy(4));
    expect(first.stats()).toMatchObject({ l2Misses: 1, originLoads: 1, fills: 1 });

    const second = new TieredPolicySource({ l2, origin });
    await expect(second.load(key)).resolves.toEqual(samplePolicy(4));
    expect(second.stats()).toMatchObject({ l2Hits: 1, originLoads: 0 });
    expect(origin.callCountFor(agent, { orgId: org })).toBe(1);
  });

  it('treats a malformed L2 value as a miss, counts it and overwrites it', async () => {
    const origin = new MemoryPolicyStore();
    const agent = freshAgent();
    origin.insert(agent, samplePolicy(1));
    await admin.set(policyKeys(SYSTEM_ORG_ID, agent).value, '{"version":"one"}');
    const source = new TieredPolicySource({ l2, origin });
    await expect(source.load(TenantAgentKey.of(SYSTEM_ORG_ID, agent))).resolves.toEqual(
      samplePolicy(1),
    );
    expect(source.stats()).toMatchObject({ l2Malformed: 1, originLoads: 1, fills: 1 });
    expect(JSON.parse((await admin.get(policyKeys(SYSTEM_ORG_ID, agent).value)) ?? '')).toEqual(
      samplePolicy(1),
    );
  });

  it('passes an origin NotFound through and fills nothing', async () => {
    const source = new TieredPolicySource({ l2, origin: new MemoryPolicyStore() });
    const agent = freshAgent();
    const error = await source
      .load(TenantAgentKey.of(SYSTEM_ORG_ID, agent))
      .catch((caught: unknown) => caught);
    expect(isStorageError(error, 'NotFound')).toBe(true);
    expect(await admin.exists(policyKeys(SYSTEM_ORG_ID, agent).value)).toBe(0);
  });

  it('rejects a forged key with an InvalidIdError, reading nothing', async () => {
    const source = new TieredPolicySource({ l2, origin: new MemoryPolicyStore() });
    await expect(source.load(freshAgent() as unknown as TenantAgentKey)).rejects.toSatisfy(
      isInvalidIdError,
    );
    expect(source.stats().originLoads).toBe(0);
  });

  it('never stores a document read before an invalidation of its agent (no stale fill)', async () => {
    const origin = new MemoryPolicyStore();
    const [org, agent] = [freshOrg(), freshAgent()];
    origin.insert(agent, samplePolicy(1), { orgId: org });
    const key = TenantAgentKey.of(org, agent);
    const reader = new TieredPolicySource({ l2, origin });

    // The reader misses the L2 and its origin read answers version 1, then is held.
    origin.holdLoads();
    const read = reader.load(key);
    await waitUntil(() => origin.pendingCount() === 1, 'the origin load to start', 2_000);
    // A writer commits version 2 and invalidates the L2 meanwhile.
    origin.insert(agent, samplePolicy(2), { orgId: org });
    const stale = samplePolicy(1);
    await l2.invalidate(agent);
    // The held read answers what it read before the write.
    origin.insert(agent, stale, { orgId: org });
    origin.releaseLoads();
    await expect(read).resolves.toBe(stale);

    expect(reader.stats()).toMatchObject({ fillsRefused: 1, fills: 0 });
    expect(await admin.exists(policyKeys(org, agent).value)).toBe(0);
    origin.insert(agent, samplePolicy(2), { orgId: org });
    await expect(new TieredPolicySource({ l2, origin }).load(key)).resolves.toEqual(
      samplePolicy(2),
    );
  });

  it('never answers one tenant with another’s document, whatever the order of fills, reads and invalidations', async () => {
    const origin = new MemoryPolicyStore();
    const orgs = [SYSTEM_ORG_ID, freshOrg(), freshOrg()];
    const agents = [freshAgent(), freshAgent()];
    // Each (tenant, agent) has a document naming it; a few have none at all.
    const expected = new Map<TenantAgentKey, PolicyDocument | undefined>();
    for (const [o, org] of orgs.entries()) {
      for (const [a, agent] of agents.entries()) {
        const document =
          o === 2 && a === 1 ? undefined : { ...samplePolicy(o * 10 + a), name: `${org}/${agent}` };
        if (document !== undefined) origin.insert(agent, document, { orgId: org });
        expected.set(TenantAgentKey.of(org, agent), document);
      }
    }
    const instances = [0, 1, 2].map(() => new TieredPolicySource({ l2, origin }));
    const caches = instances.map((source) => new L1Cache(source, { ttlMs: 60_000 }));
    closers.push(() => {
      for (const cache of caches) cache.dispose();
    });
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let step = 0; step < 300; step++) {
      const cache = caches[next(caches.length)] as L1Cache<TenantAgentKey, PolicyDocument>;
      const key = TenantAgentKey.of(
        orgs[next(orgs.length)] as OrgId,
        agents[next(agents.length)] as AgentId,
      );
      const action = next(10);
      if (action === 0) {
        const agent = TenantAgentKey.agentId(key);
        await l2.invalidate(agent);
        for (const each of caches)
          for (const org of orgs) each.invalidate(TenantAgentKey.of(org, agent));
      } else if (action === 1) {
        for (const each of caches) each.invalidate(key);
      } else {
        const want = expected.get(key);
        const got = await cache.get(key).catch((error: unknown) => error);
        if (want === undefined) expect(isStorageError(got, 'NotFound'), String(got)).toBe(true);
        else expect(got).toEqual(want);
      }
    }
    const fills = instances.reduce((sum, source) => sum + source.stats().fills, 0);
    const hits = instances.reduce((sum, source) => sum + source.stats().l2Hits, 0);
    expect(fills).toBeGreaterThan(0);
    expect(hits).toBeGreaterThan(0);
  });
});

describe('TieredPolicySource with the L2 unavailable', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function timedLoad(source: TieredPolicySource, key: TenantAgentKey) {
    const started = performance.now();
    const document = await source.load(key);
    return { document, ms: performance.now() - started };
  }

  it('falls through to the origin at once while Redis refuses connections', async () => {
    const l2 = new RedisPolicyCache({ url: 'redis://127.0.0.1:1', timeoutMs: 100 });
    closers.push(() => l2.close());
    const origin = new MemoryPolicyStore();
    const agent = freshAgent();
    origin.insert(agent, samplePolicy(3));
    const source = new TieredPolicySource({ l2, origin });
    const { document, ms } = await timedLoad(source, TenantAgentKey.of(SYSTEM_ORG_ID, agent));
    expect(document).toEqual(samplePolicy(3));
    expect(ms).toBeLessThan(500);
    expect(source.stats()).toMatchObject({ l2Errors: 1, originLoads: 1, fills: 0 });
  });

  it('falls through, and leaves no rejection unhandled, under a burst while the connection never opens', async () => {
    // A black hole: accepts connections, never answers, a hung or unreachable peer.
    const silent = await FaultProxy.start(redisTarget, { silent: true });
    closers.push(() => silent.close());
    const l2 = new RedisPolicyCache({ url: silent.urlFor(REDIS_URL), timeoutMs: 100 });
    closers.push(() => l2.close());
    const origin = new MemoryPolicyStore();
    const agent = freshAgent();
    origin.insert(agent, samplePolicy(6));
    const source = new TieredPolicySource({ l2, origin });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const loads: Promise<unknown>[] = [];
      for (let index = 0; index < 150; index++) {
        loads.push(source.load(TenantAgentKey.of(SYSTEM_ORG_ID, agent)));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const documents = await Promise.all(loads);
      expect(documents).toEqual(Array.from({ length: 150 }, () => samplePolicy(6)));
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(unhandled).toEqual([]);
      expect(source.stats()).toMatchObject({ l2Errors: 150, originLoads: 150 });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('falls through within timeoutMs when Redis accepts and never answers', async () => {
    // A black hole: accepts connections, never answers, a hung or unreachable peer.
    const silent = await FaultProxy.start(redisTarget, { silent: true });
    closers.push(() => silent.close());
    // A client of the application's own, queueing while it waits: only the
    // cache's deadline stands between a read and a hang.
    const client = new Redis(silent.urlFor(REDIS_URL), {
      maxRetriesPerRequest: null,
      enableReadyCheck: false,
    });
    client.on('error', () => {});
    closers.push(() => client.disconnect());
    const l2 = new RedisPolicyCache({ client, timeoutMs: 150 });
    const origin = new MemoryPolicyStore();
    const agent = freshAgent();
    origin.insert(agent, samplePolicy(5));
    const source = new TieredPolicySource({ l2, origin });
    const { document, ms } = await timedLoad(source, TenantAgentKey.of(SYSTEM_ORG_ID, agent));
    expect(document).toEqual(samplePolicy(5));
    expect(ms).toBeGreaterThanOrEqual(140);
    expect(ms).toBeLessThan(1_000);
    expect(source.stats()).toMatchObject({ l2Errors: 1, originLoads: 1 });
  });
});
