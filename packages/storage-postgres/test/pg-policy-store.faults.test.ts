import { randomUUID } from 'node:crypto';
import { L1Cache } from '@aa/cache';
import { isStorageError } from '@aa/core';
import {
  APP_ROLE,
  createAppPool,
  createPool,
  dropSchema,
  FaultProxy,
  freshSchema,
  grantAppRole,
  PG_URL,
  postgresAvailable,
  waitUntil,
} from '@aa/test-infra';
import { ManualClock, samplePolicy } from '@aa/testing';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate, PgPolicyStore } from '../src/index.js';
import { freshAgentId, insertRow, migratedStore } from './support/policy-tables.js';

const available = await postgresAvailable();
const target = (() => {
  const url = new URL(PG_URL);
  return { host: url.hostname, port: Number(url.port || 5432) };
})();

/** Settles `promise` and says how long it took. */
async function timed<T>(promise: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await promise;
    return { error: undefined, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
}

describe('PgPolicyStore', () => {
  describe('with the server unreachable', () => {
    const resources: { close(): Promise<void> }[] = [];
    afterEach(async () => {
      for (const resource of resources.splice(0)) await resource.close();
    });

    function poolAt(port: number, connectionTimeoutMillis: number): pg.Pool {
      const pool = createPool({
        connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
        connectionTimeoutMillis,
      });
      resources.push({ close: () => pool.end() });
      return pool;
    }

    it('rejects a read of a closed port with a fast Backend error, the refusal as cause', async () => {
      const store = new PgPolicyStore(poolAt(1, 2_000));
      const { error, ms } = await timed(store.getPolicy(freshAgentId()));
      expect(isStorageError(error, 'Backend'), String(error)).toBe(true);
      expect(error).toMatchObject({ cause: expect.objectContaining({ code: 'ECONNREFUSED' }) });
      expect((error as Error).message).toMatch(
        /^Backend: reading the policy of agent .*ECONNREFUSED/,
      );
      expect(ms).toBeLessThan(1_000);
    });

    it('rejects a write to a closed port with a Backend error', async () => {
      const store = new PgPolicyStore(poolAt(1, 2_000));
      await expect(store.putPolicy(freshAgentId(), samplePolicy(1))).rejects.toMatchObject({
        kind: 'Backend',
        cause: expect.objectContaining({ code: 'ECONNREFUSED' }),
      });
    });

    it('gives up on a server that accepts connections and never answers after connectionTimeoutMillis', async () => {
      const blackHole = await FaultProxy.start(target, { silent: true });
      resources.push(blackHole);
      const store = new PgPolicyStore(poolAt(blackHole.port, 300));
      const { error, ms } = await timed(store.getPolicy(freshAgentId()));
      expect(isStorageError(error, 'Backend'), String(error)).toBe(true);
      expect((error as Error).cause).toBeInstanceOf(Error);
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(1_500);
    });

    it.runIf(available)(
      'gives up on a connection that went silent mid-life after timeoutMs',
      async () => {
        const proxy = await FaultProxy.start(target);
        resources.push(proxy);
        const pool = poolAt(proxy.port, 1_000);
        const store = new PgPolicyStore(pool, { schema: 'absent_schema', timeoutMs: 300 });
        // One round trip opens the pooled connection (the table need not exist).
        await expect(store.getPolicy(freshAgentId())).rejects.toMatchObject({ kind: 'Backend' });
        expect(pool.idleCount).toBe(1);
        proxy.goSilent();
        const { error, ms } = await timed(store.getPolicy(freshAgentId()));
        expect(error).toMatchObject({
          kind: 'Backend',
          cause: expect.objectContaining({ message: 'no answer within 300 ms' }),
        });
        expect(ms).toBeLessThan(1_500);
        expect(pool.totalCount).toBe(0);
      },
    );
  });

  describe.runIf(available)('writing over a connection that goes silent', () => {
    it('rejects putPolicy with a Backend error after timeoutMs and destroys the connection', async () => {
      const schema = freshSchema('silentput');
      const admin = createPool();
      await migrate(admin, { schema });
      await grantAppRole(admin, schema);
      const proxy = await FaultProxy.start(target);
      const pool = createPool({
        connectionString: `postgres://${APP_ROLE}@127.0.0.1:${proxy.port}/test`,
        connectionTimeoutMillis: 1_000,
      });
      try {
        const store = new PgPolicyStore(pool, { schema, timeoutMs: 300 });
        const id = freshAgentId();
        await store.registerAgent(id);
        await expect(store.putPolicy(id, samplePolicy(1))).resolves.toBe(1);
        proxy.goSilent({ onlyOpen: true });
        const { error, ms } = await timed(store.putPolicy(id, samplePolicy(1)));
        expect(error).toMatchObject({
          kind: 'Backend',
          cause: expect.objectContaining({ message: 'no answer within 300 ms' }),
        });
        expect(ms).toBeLessThan(1_500);
        expect(pool.totalCount).toBe(0);
        // Nothing was committed, and a fresh connection writes the next version.
        await expect(store.putPolicy(id, samplePolicy(1))).resolves.toBe(2);
      } finally {
        await proxy.close();
        await pool.end();
        await dropSchema(admin, schema);
        await admin.end();
      }
    });
  });

  describe.runIf(available)('when the server ends a pooled backend mid-query', () => {
    const db = migratedStore('terminated');

    it('rejects the read in flight with a Backend error, and the next read at once succeeds', async () => {
      const applicationName = `aa-test-${randomUUID()}`;
      // One connection: a dead client handed back to the pool would be the
      // very one the next read gets.
      const pool = createAppPool({ max: 1, application_name: applicationName });
      const store = new PgPolicyStore(pool, { schema: db.schema });
      const id = freshAgentId();
      await insertRow(db.pool, db.schema, id, samplePolicy(3));
      try {
        await expect(store.getPolicy(id)).resolves.toEqual(samplePolicy(3));
        const { rows } = await db.pool.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
          [applicationName],
        );
        expect(rows).toHaveLength(1);
        const pid = rows[0]?.pid;

        // Hold the read mid-query: it waits on a lock, on the server.
        const lock = await db.pool.connect();
        let inFlight: Promise<unknown>;
        try {
          await lock.query('BEGIN');
          await lock.query(`LOCK TABLE ${db.schema}.policies IN ACCESS EXCLUSIVE MODE`);
          inFlight = store.getPolicy(id).then(
            () => 'resolved',
            (error: unknown) => error,
          );
          await waitUntil(async () => {
            const { rows: waiting } = await db.pool.query(
              `SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`,
              [pid],
            );
            return waiting.length === 1;
          }, `backend ${pid} to wait on the lock`);
          await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
        } finally {
          await lock.query('ROLLBACK');
          lock.release();
        }

        const failed = await inFlight;
        expect(isStorageError(failed, 'Backend'), String(failed)).toBe(true);
        expect((failed as Error).message).toMatch(/terminating connection/);
        await expect(store.getPolicy(id)).resolves.toEqual(samplePolicy(3));
      } finally {
        await pool.end();
      }
    });
  });

  describe.runIf(available)('with the pool exhausted', () => {
    it('rejects with a Backend error after connectionTimeoutMillis rather than queueing forever', async () => {
      const pool = createPool({ max: 1, connectionTimeoutMillis: 200 });
      const held = await pool.connect();
      try {
        const store = new PgPolicyStore(pool, { schema: 'absent_schema' });
        const { error, ms } = await timed(store.getPolicy(freshAgentId()));
        expect(error).toMatchObject({ kind: 'Backend' });
        expect((error as Error).message).toContain('timeout exceeded when trying to connect');
        expect(ms).toBeLessThan(1_000);
      } finally {
        held.release();
        await pool.end();
      }
    });
  });

  describe.runIf(available)('behind an L1Cache with staleIfErrorMs', () => {
    const schema = freshSchema('failsafe');
    let admin: pg.Pool;

    beforeAll(async () => {
      admin = createPool();
      await migrate(admin, { schema });
      await grantAppRole(admin, schema);
    });

    afterAll(async () => {
      await dropSchema(admin, schema);
      await admin.end();
    });

    it.each([
      ['refuses connections', (proxy: FaultProxy) => proxy.close()],
      ['goes silent', async (proxy: FaultProxy) => proxy.goSilent()],
    ])(
      'serves the stale value, never an error or a hang, when the server %s',
      async (_, breakIt) => {
        const id = freshAgentId();
        await insertRow(admin, schema, id, samplePolicy(1));
        const proxy = await FaultProxy.start(target);
        const pool = createPool({
          connectionString: `postgres://${APP_ROLE}@127.0.0.1:${proxy.port}/test`,
          connectionTimeoutMillis: 300,
        });
        const clock = new ManualClock();
        const cache = new L1Cache(new PgPolicyStore(pool, { schema, timeoutMs: 300 }), {
          ttlMs: 1_000,
          staleIfErrorMs: 60_000,
          clock,
        });
        try {
          await expect(cache.get(id)).resolves.toEqual(samplePolicy(1));
          await breakIt(proxy);
          clock.advance(1_000);
          const started = performance.now();
          await expect(cache.get(id)).resolves.toEqual(samplePolicy(1));
          expect(performance.now() - started).toBeLessThan(1_500);
          expect(cache.stats()).toMatchObject({ loads: 2, loadFailures: 1 });
        } finally {
          cache.dispose();
          await proxy.close();
          await pool.end();
        }
      },
    );

    it('rejects callers with the Backend error when no stale value is held', async () => {
      const pool = createPool({
        connectionString: 'postgres://postgres@127.0.0.1:1/test',
        connectionTimeoutMillis: 300,
      });
      const cache = new L1Cache(new PgPolicyStore(pool, { schema }), { staleIfErrorMs: 60_000 });
      try {
        await expect(cache.get(freshAgentId())).rejects.toMatchObject({ kind: 'Backend' });
      } finally {
        cache.dispose();
        await pool.end();
      }
    });
  });
});
