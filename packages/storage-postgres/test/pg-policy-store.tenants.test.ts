import { randomUUID } from 'node:crypto';
import { isStorageError, OrgId } from '@aa/core';
import { createAppPool, postgresAvailable, waitUntil } from '@aa/test-infra';
import { samplePolicy } from '@aa/testing';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PgPolicyStore } from '../src/index.js';
import { freshAgentId, insertRow, migratedStore, seedAgent } from './support/policy-tables.js';

const available = await postgresAvailable();

function freshOrgId(): OrgId {
  return OrgId.parse(randomUUID());
}

/** Waits until backend `pid` waits on a lock. */
function waitForLockWaiter(pool: pg.Pool, pid: number): Promise<void> {
  return waitUntil(
    async () => {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`,
        [pid],
      );
      return rows[0].n > 0;
    },
    `backend ${pid} to wait on a lock`,
    3_000,
  );
}

describe.runIf(available)('PgPolicyStore under row-level security', () => {
  const db = migratedStore('tenants');

  describe('the database itself', () => {
    it('shows the store’s role no row at all while no tenant is set (fail-closed)', async () => {
      await insertRow(db.pool, db.schema, freshAgentId(), samplePolicy(1));
      const { rows } = await db.appPool.query(
        `SELECT (SELECT count(*)::int FROM ${db.schema}.policies) AS policies,
                (SELECT count(*)::int FROM ${db.schema}.agents) AS agents,
                (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) AS bypasses`,
      );
      expect(rows[0]).toEqual({ policies: 0, agents: 0, bypasses: false });
    });

    it('refuses the store’s role a row written for another tenant than the one set', async () => {
      const [org, other] = [freshOrgId(), freshOrgId()];
      const id = freshAgentId();
      await seedAgent(db.pool, db.schema, id, org);
      await seedAgent(db.pool, db.schema, freshAgentId(), other);
      const client = await db.appPool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [org]);
        await expect(
          client.query(
            `INSERT INTO ${db.schema}.policies (agent_id, policy_version, body, org_id) VALUES ($1, 1, '{}', $2)`,
            [id, other],
          ),
        ).rejects.toMatchObject({ code: '42501' });
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    });
  });

  describe('the tenant setting', () => {
    const pools: pg.Pool[] = [];
    afterAll(async () => {
      for (const pool of pools) await pool.end();
    });

    /** A store over a one-connection pool, and what that connection carries now. */
    function singleConnection(timeoutMs?: number) {
      const pool = createAppPool({ max: 1 });
      pools.push(pool);
      const store = new PgPolicyStore(pool, {
        schema: db.schema,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
      const carried = async () => {
        const { rows } = await pool.query(
          `SELECT current_setting('app.tenant_id', true) AS tenant, pg_backend_pid() AS pid`,
        );
        return rows[0] as { tenant: string | null; pid: number };
      };
      return { pool, store, carried };
    }

    /** An unset or emptied setting: upstream's NULLIF(…, '') reads both as "no tenant". */
    const NO_TENANT = ['', null];

    it('is in force while the read filters, and gone from the connection after it', async () => {
      const { store, carried } = singleConnection();
      const org = freshOrgId();
      const id = freshAgentId();
      await insertRow(db.pool, db.schema, id, samplePolicy(2), 2, org);
      const before = await carried();
      // Row-level security shows the row only to a connection whose tenant is org.
      await expect(store.getPolicyForTenant(org, id)).resolves.toEqual(samplePolicy(2));
      const after = await carried();
      expect(after.pid).toBe(before.pid);
      expect(NO_TENANT).toContain(after.tenant);
    });

    it('reads on after the session dropped its prepared statements (DEALLOCATE ALL, a pooler)', async () => {
      const { pool, store } = singleConnection();
      const org = freshOrgId();
      const id = freshAgentId();
      await insertRow(db.pool, db.schema, id, samplePolicy(3), 3, org);
      await expect(store.getPolicyForTenant(org, id)).resolves.toEqual(samplePolicy(3));
      await pool.query('DEALLOCATE ALL');
      await expect(store.getPolicyForTenant(org, id)).resolves.toEqual(samplePolicy(3));
      await expect(store.getPolicyForTenant(org, id)).resolves.toEqual(samplePolicy(3));
    });

    it('is gone after a read the server failed, on the same connection', async () => {
      const { pool, carried } = singleConnection();
      // A store over a schema with no tables: set_config succeeds, the SELECT fails.
      const broken = new PgPolicyStore(pool, { schema: 'aa_no_such_schema' });
      const before = await carried();
      await expect(broken.getPolicyForTenant(freshOrgId(), freshAgentId())).rejects.toMatchObject({
        kind: 'Backend',
      });
      const after = await carried();
      expect(after.pid).toBe(before.pid);
      expect(NO_TENANT).toContain(after.tenant);
    });

    it('never reaches another caller after a timeout or an abort: that connection is destroyed', {
      timeout: 15_000,
    }, async () => {
      const { pool, store, carried } = singleConnection(150);
      const { pid } = await carried();
      const lock = await db.pool.connect();
      try {
        await lock.query('BEGIN');
        await lock.query(`LOCK TABLE ${db.schema}.policies IN ACCESS EXCLUSIVE MODE`);
        await expect(store.getPolicyForTenant(freshOrgId(), freshAgentId())).rejects.toMatchObject({
          kind: 'Backend',
        });
        const aborted = new AbortController();
        const read = store.getPolicyForTenant(freshOrgId(), freshAgentId(), {
          signal: aborted.signal,
        });
        setTimeout(() => aborted.abort(new Error('caller gave up')), 30);
        await expect(read).rejects.toThrow('caller gave up');
      } finally {
        await lock.query('ROLLBACK');
        lock.release();
      }
      const after = await carried();
      expect(after.pid).not.toBe(pid);
      expect(NO_TENANT).toContain(after.tenant);
      expect(pool.totalCount).toBe(1);
    });

    it('never rides a transaction another user of the pool left open on a connection', async () => {
      const { pool, store, carried } = singleConnection();
      const org = freshOrgId();
      const id = freshAgentId();
      await insertRow(db.pool, db.schema, id, samplePolicy(1), 1, org);
      const careless = await pool.connect();
      await careless.query('BEGIN');
      careless.release(); // a bug elsewhere: back in the pool mid-transaction
      await expect(store.getPolicyForTenant(org, id)).resolves.toEqual(samplePolicy(1));
      expect(NO_TENANT).toContain((await carried()).tenant);
    });

    it('drops a connection whose session the server ended, so the next read succeeds', async () => {
      const { store, carried } = singleConnection();
      const org = freshOrgId();
      const id = freshAgentId();
      await insertRow(db.pool, db.schema, id, samplePolicy(5), 5, org);
      const { pid } = await carried();
      const lock = await db.pool.connect();
      try {
        await lock.query('BEGIN');
        await lock.query(`LOCK TABLE ${db.schema}.policies IN ACCESS EXCLUSIVE MODE`);
        const reads = Array.from({ length: 4 }, () =>
          store.getPolicyForTenant(org, id).then(
            (policy) => `ok v${policy.version}`,
            (error: unknown) => `error ${(error as Error).message}`,
          ),
        );
        await waitForLockWaiter(db.pool, pid);
        await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
        await lock.query('ROLLBACK');
        const outcomes = await Promise.all(reads);
        expect(outcomes[0]).toMatch(/^error .*terminating connection/);
        expect(outcomes.slice(1)).toEqual(['ok v5', 'ok v5', 'ok v5']);
      } finally {
        lock.release();
      }
    });

    it('is gone after a write, committed or refused', async () => {
      const { store, carried } = singleConnection();
      const org = freshOrgId();
      const id = freshAgentId();
      await seedAgent(db.pool, db.schema, id, org);
      const { pid } = await carried();
      await store.putPolicy(id, samplePolicy(1), { orgId: org });
      expect(NO_TENANT).toContain((await carried()).tenant);
      await expect(
        store.putPolicy(freshAgentId(), samplePolicy(1), { orgId: org }),
      ).rejects.toMatchObject({ kind: 'NotFound' });
      const after = await carried();
      expect(after.pid).toBe(pid);
      expect(NO_TENANT).toContain(after.tenant);
    });
  });

  describe('writes', () => {
    it('file a policy under the tenant given, readable there and nowhere else', async () => {
      const org = freshOrgId();
      const id = freshAgentId();
      await seedAgent(db.pool, db.schema, id, org);
      await expect(db.store.putPolicy(id, samplePolicy(4), { orgId: org })).resolves.toBe(1);
      await expect(db.store.getPolicyForTenant(org, id)).resolves.toEqual(samplePolicy(4));
      await expect(db.store.getPolicy(id)).rejects.toMatchObject({ kind: 'NotFound' });
      const { rows } = await db.pool.query(
        `SELECT org_id FROM ${db.schema}.policies WHERE agent_id = $1`,
        [id],
      );
      expect(rows).toEqual([{ org_id: org }]);
    });

    it('refuse an agent registered under another tenant with NotFound naming agent and org', async () => {
      const [owner, intruder] = [freshOrgId(), freshOrgId()];
      const id = freshAgentId();
      await seedAgent(db.pool, db.schema, id, owner);
      const error = await db.store
        .putPolicy(id, samplePolicy(1), { orgId: intruder })
        .catch((caught: unknown) => caught);
      expect(isStorageError(error, 'NotFound')).toBe(true);
      expect((error as Error).message).toContain(
        `agent ${id} has no agents row in org ${intruder}`,
      );
    });

    it("number past another tenant's rows of the same agent, which they cannot see", async () => {
      const [owner, other] = [freshOrgId(), freshOrgId()];
      const id = freshAgentId();
      await insertRow(db.pool, db.schema, id, samplePolicy(1), 1, owner);
      // Versions 2..9 of the agent belong to another tenant (a legacy migration, say).
      for (let version = 2; version <= 9; version++) {
        await insertRow(db.pool, db.schema, id, samplePolicy(version), version, other);
      }
      const next = await db.store.putPolicy(id, samplePolicy(42), { orgId: owner });
      expect(next).toBeGreaterThan(9);
      await expect(db.store.getPolicyForTenant(owner, id)).resolves.toEqual(samplePolicy(42));
      await expect(db.store.getPolicyForTenant(other, id)).resolves.toEqual(samplePolicy(9));
      await expect(db.store.putPolicy(id, samplePolicy(43), { orgId: owner })).resolves.toBe(
        next + 1,
      );
    });

    it('refuse to register an agent under an org that does not exist, with NotFound naming it', async () => {
      const org = freshOrgId();
      await expect(db.store.registerAgent(freshAgentId(), { orgId: org })).rejects.toMatchObject({
        kind: 'NotFound',
        message: `NotFound: org ${org} has no orgs row; create it first`,
      });
    });

    it('register an agent under a tenant, then take its policies', async () => {
      const org = freshOrgId();
      await db.pool.query(`INSERT INTO ${db.schema}.orgs (id, name) VALUES ($1, 'acme')`, [org]);
      const id = freshAgentId();
      await expect(db.store.registerAgent(id, { orgId: org })).resolves.toBe(true);
      await expect(db.store.putPolicy(id, samplePolicy(1), { orgId: org })).resolves.toBe(1);
      await expect(db.store.putPolicy(id, samplePolicy(1))).rejects.toMatchObject({
        kind: 'NotFound',
      });
    });

    it('refuse a forged org id with a TypeError', async () => {
      await expect(
        db.store.putPolicy(freshAgentId(), samplePolicy(1), {
          orgId: 'acme' as OrgId,
        }),
      ).rejects.toThrow('Expected `orgId` to be a canonical OrgId');
    });
  });
});
