import { randomUUID } from 'node:crypto';
import { L1Cache, LoadTimeoutError } from '@aa/cache';
import {
  createAppPool,
  createPool,
  dropSchema,
  freshSchema,
  grantAppRole,
  postgresAvailable,
  settledWithin,
  waitUntil,
} from '@aa/test-infra';
import { samplePolicy } from '@aa/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, PgPolicyStore } from '../src/index.js';
import { freshAgentId, insertRow } from './support/policy-tables.js';

const available = await postgresAvailable();

describe.runIf(available)('PgPolicyStore', () => {
  describe('getPolicy() with an AbortSignal', () => {
    const schema = freshSchema('abort');
    let admin: pg.Pool;
    const pools: pg.Pool[] = [];

    /** A pool of its own per test, named so its backends can be found server-side. */
    function poolFor(max = 2): { pool: pg.Pool; name: string } {
      const name = `aa-abort-${randomUUID().slice(0, 8)}`;
      const pool = createAppPool({ max, application_name: name });
      pools.push(pool);
      return { pool, name };
    }

    /** Backends of `name` running a query (not idle), as the server sees them. */
    async function activeBackends(name: string): Promise<number> {
      const { rows } = await admin.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'`,
        [name],
      );
      return rows[0].n;
    }

    async function waitingOnLock(name: string): Promise<boolean> {
      const { rows } = await admin.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [name],
      );
      return rows[0].n > 0;
    }

    /** Holds an ACCESS EXCLUSIVE lock on the table, so every read waits, until released. */
    async function lockTable(): Promise<() => Promise<void>> {
      const client = await admin.connect();
      await client.query('BEGIN');
      await client.query(`LOCK TABLE ${schema}.policies IN ACCESS EXCLUSIVE MODE`);
      return async () => {
        await client.query('ROLLBACK');
        client.release();
      };
    }

    beforeAll(async () => {
      admin = createPool();
      await migrate(admin, { schema });
      await grantAppRole(admin, schema);
    });

    afterAll(async () => {
      for (const pool of pools) await pool.end();
      await dropSchema(admin, schema);
      await admin.end();
    });

    it('rejects an already-aborted load with the reason itself, without checking a client out', async () => {
      const { pool } = poolFor();
      const store = new PgPolicyStore(pool, { schema });
      const reason = new Error('caller went away');
      await expect(
        store.getPolicy(freshAgentId(), { signal: AbortSignal.abort(reason) }),
      ).rejects.toBe(reason);
      expect(pool.totalCount).toBe(0);
    });

    it('rejects at once when aborted while waiting for a pooled client, and hands that client back', async () => {
      const { pool } = poolFor(1);
      const store = new PgPolicyStore(pool, { schema });
      const id = freshAgentId();
      await insertRow(admin, schema, id, samplePolicy(3));
      const held = await pool.connect();
      const controller = new AbortController();
      const load = store.getPolicy(id, { signal: controller.signal });
      await waitUntil(() => pool.waitingCount === 1, 'the load to queue for a client');

      const reason = new Error('no longer needed');
      controller.abort(reason);
      await expect(settledWithin(load, 50)).resolves.toEqual({ status: 'rejected', reason });

      held.release();
      await waitUntil(
        () => pool.waitingCount === 0 && pool.idleCount === 1,
        'the client to go back',
      );
      expect(pool.totalCount).toBe(1);
      await expect(store.getPolicy(id)).resolves.toEqual(samplePolicy(3));
    });

    it('rejects at once when aborted mid-query, cancels the query server-side and drops the connection', async () => {
      const { pool, name } = poolFor();
      const store = new PgPolicyStore(pool, { schema });
      const release = await lockTable();
      try {
        const controller = new AbortController();
        const load = store.getPolicy(freshAgentId(), { signal: controller.signal });
        await waitUntil(() => waitingOnLock(name), 'the query to wait on the lock');

        const reason = new Error('request cancelled');
        controller.abort(reason);
        await expect(settledWithin(load, 50)).resolves.toEqual({ status: 'rejected', reason });
        // The lock is still held: only a server-side cancel stops the backend waiting.
        await waitUntil(
          async () => (await activeBackends(name)) === 0,
          'the server to cancel the query',
          2_000,
        );
        await waitUntil(() => pool.totalCount === 0, 'the pool to drop the cancelled connection');
      } finally {
        await release();
      }
    });

    it('turns a query past `timeoutMs` into a Backend error and cancels it server-side', async () => {
      const { pool, name } = poolFor();
      const store = new PgPolicyStore(pool, { schema, timeoutMs: 200 });
      const release = await lockTable();
      try {
        const started = performance.now();
        const error = await store.getPolicy(freshAgentId()).catch((caught: unknown) => caught);
        expect(performance.now() - started).toBeLessThan(1_000);
        expect(error).toMatchObject({
          kind: 'Backend',
          cause: expect.objectContaining({ message: 'no answer within 200 ms' }),
        });
        await waitUntil(
          async () => (await activeBackends(name)) === 0,
          'the server to cancel the query',
          2_000,
        );
      } finally {
        await release();
      }
    });

    it("lets an L1Cache's loadTimeoutMs cancel the query it gave up on", async () => {
      const { pool, name } = poolFor();
      const cache = new L1Cache(new PgPolicyStore(pool, { schema }), { loadTimeoutMs: 150 });
      const release = await lockTable();
      try {
        await expect(cache.get(freshAgentId())).rejects.toBeInstanceOf(LoadTimeoutError);
        await waitUntil(
          async () => (await activeBackends(name)) === 0,
          'the server to cancel the query',
          2_000,
        );
      } finally {
        await release();
        cache.dispose();
      }
    });

    it('answers normally when the signal never aborts, and leaves the connection pooled', async () => {
      const { pool } = poolFor();
      const store = new PgPolicyStore(pool, { schema });
      const id = freshAgentId();
      await insertRow(admin, schema, id, samplePolicy(5));
      const controller = new AbortController();
      await expect(store.getPolicy(id, { signal: controller.signal })).resolves.toEqual(
        samplePolicy(5),
      );
      controller.abort();
      expect(pool.idleCount).toBe(1);
      await expect(store.getPolicy(id)).resolves.toEqual(samplePolicy(5));
      expect(pool.totalCount).toBe(1);
    });
  });
});
