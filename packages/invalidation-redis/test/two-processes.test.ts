import { randomUUID } from 'node:crypto';
import { AgentId } from '@aa/core';
import { migrate, PgPolicyStore } from '@aa/storage-postgres';
import {
  ChildInstance,
  type ChildMessage,
  createPool,
  dropSchema,
  freshSchema,
  PG_URL,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
} from '@aa/test-infra';
import { samplePolicy } from '@aa/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamTestBed } from './support/stream-test-bed.js';

const available = (await redisAvailable()) && (await postgresAvailable());
const wallClock = () => performance.timeOrigin + performance.now();
const ofAgent = (id: AgentId) => (message: ChildMessage) => message.id === id;

describe.runIf(available)('two processes over one PostgreSQL store', () => {
  const schema = freshSchema('redis');
  let pool: pg.Pool;
  let store: PgPolicyStore;
  const bed = new StreamTestBed();
  const children: ChildInstance[] = [];
  let overRedis: ChildInstance;
  let overPostgres: ChildInstance;

  // Both children start at once: most of their start-up is compiling sources,
  // which takes seconds on a loaded machine.
  beforeAll(async () => {
    pool = createPool({ max: 4 });
    await migrate(pool, { schema });
    store = new PgPolicyStore(pool, { schema });
    const start = (transport: 'redis' | 'postgres') => {
      const child = new ChildInstance({
        script: new URL('./fixtures/instance-process.ts', import.meta.url),
        cwd: new URL('..', import.meta.url),
        env: {
          AA_PG_URL: PG_URL,
          AA_REDIS_URL: REDIS_URL,
          AA_TEST_SCHEMA: schema,
          AA_TEST_STREAM_KEY: bed.key,
          AA_TEST_TRANSPORT: transport,
        },
      });
      children.push(child);
      return child;
    };
    overRedis = start('redis');
    overPostgres = start('postgres');
    await Promise.all(children.map((child) => child.next('ready', 30_000)));
  }, 40_000);
  afterAll(async () => {
    for (const child of children) child.kill();
    await bed.dispose();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it("over Redis Streams: after putPolicy + publish here, the other process's next get returns the new version", async () => {
    const instance = overRedis;
    const id = AgentId.parse(randomUUID());
    await store.registerAgent(id);
    await store.putPolicy(id, samplePolicy(1));
    expect(await instance.ask({ type: 'get', id }, 'got')).toMatchObject({ version: 1 });

    // Committed but not published: the child keeps serving its copy (it does
    // not listen on PostgreSQL), which is what makes the next step meaningful.
    await expect(store.putPolicy(id, samplePolicy(2))).resolves.toBe(2);
    expect(await instance.ask({ type: 'get', id }, 'got')).toMatchObject({
      version: 1,
      stats: expect.objectContaining({ loads: 1, hits: 1 }),
    });

    const publisher = bed.publisher();
    const publishedAt = wallClock();
    await publisher.publish(id);
    const invalidated = await instance.next('invalidated', 5_000, ofAgent(id));
    expect(await instance.ask({ type: 'get', id }, 'got')).toMatchObject({
      version: 2,
      stats: expect.objectContaining({ loads: 2 }),
    });
    console.info(
      `[two processes, Redis Streams] applied ${((invalidated.at ?? Number.NaN) - publishedAt).toFixed(1)} ms after publish() started`,
    );
    expect(instance.has('error')).toBe(false);
    // It exits on its own: subscriber, cache and pool let go of everything.
    await expect(instance.close()).resolves.toBe(0);
  });

  it("over PostgreSQL LISTEN/NOTIFY: after putPolicy here, the other process's next get returns the new version", async () => {
    const instance = overPostgres;
    const id = AgentId.parse(randomUUID());
    await store.registerAgent(id);
    await store.putPolicy(id, samplePolicy(1));
    // This child hears every NOTIFY of the schema, the previous test's
    // included: wait for this agent's, or a late one could be taken for it.
    await instance.next('invalidated', 5_000, ofAgent(id));
    expect(await instance.ask({ type: 'get', id }, 'got')).toMatchObject({ version: 1 });
    expect(await instance.ask({ type: 'get', id }, 'got')).toMatchObject({
      version: 1,
      stats: expect.objectContaining({ loads: 1, hits: 1 }),
    });

    const putAt = wallClock();
    await expect(store.putPolicy(id, samplePolicy(2))).resolves.toBe(2);
    const invalidated = await instance.next('invalidated', 5_000, ofAgent(id));
    expect(await instance.ask({ type: 'get', id }, 'got')).toMatchObject({
      version: 2,
      stats: expect.objectContaining({ loads: 2 }),
    });
    console.info(
      `[two processes, LISTEN/NOTIFY] applied ${((invalidated.at ?? Number.NaN) - putAt).toFixed(1)} ms after putPolicy() started`,
    );
    expect(instance.has('error')).toBe(false);
    await expect(instance.close()).resolves.toBe(0);
  });
});
