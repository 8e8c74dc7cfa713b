import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AgentId, OrgId, TenantAgentKey } from '@aa/core';
import { PgPolicyStore } from '@aa/storage-postgres';
import { samplePolicy } from '@aa/testing';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyKeys, RedisPolicyCache, TieredPolicySource } from '../src/index.js';
import {
  APP_URL,
  createPool,
  migratedSchema,
  PG_URL,
  postgresAvailable,
} from './support/postgres.js';
import { freshDatabase, redisAvailable, redisUrlOf } from './support/redis.js';

const DB = 13;
const available = (await redisAvailable()) && (await postgresAvailable());
const FIXTURE = fileURLToPath(new URL('./fixtures/reader-process.ts', import.meta.url));
const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

interface ChildMessage {
  readonly type: string;
  readonly version?: number;
  readonly stats?: Record<string, number>;
  readonly message?: string;
}

/** Waits for the child's next message of `type`, skipping others, within `timeoutMs`. */
function nextMessage(child: ChildProcess, type: string, timeoutMs = 10_000): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no "${type}" message from the child within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'failed') reject(new Error(message.message));
      if (message.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
  });
}

describe.runIf(available)('the L2 across two processes', () => {
  let admin: pg.Pool;
  let appPool: pg.Pool;
  let redis: Redis;
  let schema: string;

  beforeAll(async () => {
    admin = createPool(PG_URL);
    schema = await migratedSchema(admin);
    appPool = createPool(APP_URL);
    redis = await freshDatabase(DB);
  });

  afterAll(async () => {
    await appPool.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
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
    const child = fork(FIXTURE, [], {
      cwd: PACKAGE_ROOT,
      execArgv: ['--conditions=@aa/source', '--import', 'tsx'],
      env: {
        ...process.env,
        AA_PG_URL: APP_URL,
        AA_TEST_SCHEMA: schema,
        AA_TEST_REDIS_URL: redisUrlOf(DB),
        AA_TEST_GATE: String(gate),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await nextMessage(child, 'ready', 20_000);
      const loaded = nextMessage(child, 'loaded');
      child.send({ type: 'load', orgId: org, agentId: agent });
      // The reader missed the L2 and Postgres answered version 1; it now waits on the gate.
      expect(await nextMessage(child, 'read')).toMatchObject({ version: 1 });

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

      child.send({ type: 'close' });
      await expect(exited).resolves.toBe(0);
    } finally {
      holder.release();
      await l2.close();
      if (child.exitCode === null) child.kill();
    }
  }, 40_000);
});
