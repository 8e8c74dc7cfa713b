import { randomUUID } from 'node:crypto';
import { AgentId, OrgId, TenantAgentKey } from '@aa/core';
import { migrate, PgPolicyStore } from '@aa/storage-postgres';
import {
  APP_URL,
  ChildInstance,
  createAppPool,
  createPool,
  dropSchema,
  freshRedisDatabase,
  freshSchema,
  grantAppRole,
  postgresAvailable,
  redisAvailable,
  redisUrlOf,
} from '@aa/test-infra';
import { samplePolicy } from '@aa/testing';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyKeys, RedisPolicyCache, TieredPolicySource } from '../src/index.js';

const DB = 13;
const available = (await redisAvailable()) && (await postgresAvailable());
describe.runIf(available)('the L2 across two processes', () => {
  let admin: pg.Pool;
  let appPool: pg.Pool;
  let redis: Redis;
  let schema: string;

  beforeAll(async () => {
    admin = createPool({ max: 4 });
    schema = freshSchema('l2');
    await migrate(admin, { schema });
    await grantAppRole(admin, schema);
    appPool = createAppPool({ max: 4 });
    redis = await freshRedisDatabase(DB);
  });

  afterAll(async () => {
    await appPool.end();
    await dropSchema(admin, schema);
    await admin.end();
    await redis.flushdb();
    redis.disconnect();
  });

  it('refuses the fill of a read that raced a commit and its invalidation, so no instance serves it', async () => {
    const org = OrgId.parse(randomUUID());
    const agent = AgentId.parse(randomUUID());
    await admin.query(`INSERT INTO ${schema}.orgs (id, name) VALUES ($1, 'acme')`, [org]);
    const writer = new PgPolicyStore(appPool, { schema });
    await writer.registerAgent(agent, { orgId: org });
    await writer.putPolicy(agent, samplePolicy(1), { orgId: org });
    const l2 = new RedisPolicyCache({ url: redisUrlOf(DB) });
    await l2.connect();

    // The test holds the gate: the reader's origin read will wait on it.
    const gate = Math.floor(Math.random() * 2 ** 31);
    const holder = await admin.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [gate]);
    const child = new ChildInstance({
      script: new URL('./fixtures/reader-process.ts', import.meta.url),
      cwd: new URL('..', import.meta.url),
      env: {
        AA_PG_URL: APP_URL,
        AA_TEST_SCHEMA: schema,
        AA_TEST_REDIS_URL: redisUrlOf(DB),
        AA_TEST_GATE: String(gate),
      },
    });
    try {
      await child.next('ready', 20_000);
      const loaded = child.next('loaded', 10_000);
      child.send({ type: 'load', orgId: org, agentId: agent });
      // The reader missed the L2 and Postgres answered version 1; it now waits on the gate.
      expect(await child.next('read', 10_000)).toMatchObject({ version: 1 });

      // Meanwhile a writer commits version 2 and invalidates the L2.
      await writer.putPolicy(agent, samplePolicy(2), { orgId: org });
      await l2.invalidate(agent);
      await holder.query('SELECT pg_advisory_unlock($1)', [gate]);

      // The reader answers its own caller what it read, and stores nothing.
      expect(await loaded).toMatchObject({
        version: 1,
        stats: expect.objectContaining({ fillsRefused: 1, fills: 0 }),
      });
      expect(await redis.exists(policyKeys(org, agent).value)).toBe(0);
      const next = new TieredPolicySource({ l2, origin: writer });
      await expect(next.load(TenantAgentKey.of(org, agent))).resolves.toEqual(samplePolicy(2));

      await expect(child.close()).resolves.toBe(0);
    } finally {
      holder.release();
      await l2.close();
      child.kill();
    }
  }, 40_000);
});
