import { isStorageError, type PolicyDocument, SYSTEM_ORG_ID } from '@aa/core';
import {
  createPool,
  dropSchema,
  freshSchema,
  grantAppRole,
  PG_URL,
  postgresAvailable,
  waitUntil,
} from '@aa/test-infra';
import { samplePolicy } from '@aa/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, PgPolicyStore } from '../src/index.js';
import { freshAgentId, insertRow, migratedStore } from './support/policy-tables.js';

const available = await postgresAvailable();

describe('PgPolicyStore', () => {
  describe('constructor', () => {
    const pool = new pg.Pool({ connectionString: PG_URL, connectionTimeoutMillis: 1_000 });

    it('reads its schema and channel, public by default', () => {
      expect(new PgPolicyStore(pool)).toMatchObject({
        schema: 'public',
        channel: 'aa_policies.public',
      });
      expect(new PgPolicyStore(pool, { schema: 'eu', channel: 'changes' })).toMatchObject({
        schema: 'eu',
        channel: 'changes',
      });
    });

    it.each([
      [{}, 'Expected `pool` to be a pg.Pool, got `plain object` (object)'],
      [null, 'Expected `pool` to be a pg.Pool, got `null`'],
      [
        new pg.Pool({ connectionString: PG_URL }),
        'Expected `pool.options.connectionTimeoutMillis` to be a finite number > 0 (without it an unreachable server or an exhausted pool makes callers wait forever), got `undefined`',
      ],
      [
        new pg.Pool({ connectionString: PG_URL, connectionTimeoutMillis: 0 }),
        'Expected `pool.options.connectionTimeoutMillis` to be a finite number > 0',
      ],
      [
        new pg.Pool({
          connectionString: PG_URL,
          connectionTimeoutMillis: 1_000,
          pipeline: true,
        } as pg.PoolConfig),
        'Expected `pool.options.pipeline` to be off, got `true` (boolean)',
      ],
    ])('rejects the pool %#: %s', (candidate, message) => {
      expect(() => new PgPolicyStore(candidate as pg.Pool)).toThrow(TypeError);
      expect(() => new PgPolicyStore(candidate as pg.Pool)).toThrow(message);
    });

    it.each([
      [{ schema: 'Bad-Name' }, 'Expected `schema` to be a lowercase SQL identifier'],
      [{ schema: 'pg_toast' }, 'Expected `schema` to be a lowercase SQL identifier'],
      [{ channel: '' }, 'Expected `channel` to be a string of 1 to 63 bytes without NUL, got'],
      [{ channel: 'x'.repeat(64) }, 'Expected `channel` to be a string of 1 to 63 bytes'],
      [{ timeoutMs: 0 }, 'Expected `timeoutMs` to be an integer from 1 to 2147483647, got `0`'],
      [{ timeoutMs: 1.5 }, 'Expected `timeoutMs` to be an integer from 1 to 2147483647'],
      [
        { ttlMs: 5 },
        'Expected options among `schema`, `channel`, `timeoutMs`, got unknown option `ttlMs`',
      ],
    ])('rejects the options %j', (options, message) => {
      expect(() => new PgPolicyStore(pool, options as never)).toThrow(TypeError);
      expect(() => new PgPolicyStore(pool, options as never)).toThrow(message);
    });

    afterAll(() => pool.end());
  });

  describe.runIf(available)('against PostgreSQL', () => {
    const db = migratedStore('store');

    describe('getPolicy()', () => {
      it('returns the highest version, whatever order the rows were written in', async () => {
        const id = freshAgentId();
        for (const version of [2, 7, 3])
          await insertRow(db.pool, db.schema, id, samplePolicy(version));
        await expect(db.store.getPolicy(id)).resolves.toEqual(samplePolicy(7));
        await expect(db.store.load(id)).resolves.toEqual(samplePolicy(7));
      });

      it('returns a frozen document', async () => {
        const id = freshAgentId();
        await insertRow(db.pool, db.schema, id, samplePolicy(1));
        const policy = await db.store.getPolicy(id);
        expect(Object.isFrozen(policy)).toBe(true);
        expect(Object.isFrozen(policy.rules[0])).toBe(true);
      });

      it('rejects an agent without rows with NotFound naming the agent', async () => {
        const id = freshAgentId();
        await insertRow(db.pool, db.schema, freshAgentId(), samplePolicy(1));
        await expect(db.store.getPolicy(id)).rejects.toMatchObject({
          kind: 'NotFound',
          code: 'AA_STORAGE_NOT_FOUND',
          message: `NotFound: no policy for agent ${id} in org ${SYSTEM_ORG_ID}`,
        });
      });

      it('rejects a malformed newest row with Serialization naming the agent and the field', async () => {
        const id = freshAgentId();
        await insertRow(db.pool, db.schema, id, samplePolicy(1));
        await insertRow(db.pool, db.schema, id, { ...samplePolicy(2), rules: 'everything' }, 2);
        const error = await db.store.getPolicy(id).catch((caught: unknown) => caught);
        expect(isStorageError(error, 'Serialization'), String(error)).toBe(true);
        expect((error as Error).message).toContain(`malformed policy document of agent ${id}`);
        expect((error as Error).message).toContain('`rules`');
        expect((error as Error).cause).toBeDefined();
      });

      it.each([
        ['a JSON string', 'just text'],
        ['a JSON null', null],
        ['an array of two fields', [1, 2]],
        [
          'a camelCase rule',
          { ...samplePolicy(1), rules: [{ actionPattern: 'a', decision: 'Allow' }] },
        ],
        [
          'a document with a lower-case decision',
          { ...samplePolicy(1), rules: [{ action_pattern: 'a', decision: 'allow' }] },
        ],
      ])('rejects %s as a body with Serialization', async (_, body) => {
        const id = freshAgentId();
        await insertRow(db.pool, db.schema, id, body, 1);
        await expect(db.store.getPolicy(id)).rejects.toMatchObject({ kind: 'Serialization' });
      });

      it('reads a body written exactly as upstream writes it, ignoring fields it does not know', async () => {
        const id = freshAgentId();
        await db.pool.query(`INSERT INTO ${db.schema}.agents (id) VALUES ($1)`, [id]);
        // No org_id: the column's default files the row under the system org.
        await db.pool.query(
          `INSERT INTO ${db.schema}.policies (agent_id, policy_version, body) VALUES ($1, 1, $2::jsonb)`,
          [
            id,
            '{"version":3,"name":"acme-default","rules":[{"action_pattern":"fs.read:*","decision":"Allow","note":"x"}],"enforcement_mode":"observe","owner":"ops"}',
          ],
        );
        await expect(db.store.getPolicy(id)).resolves.toEqual({
          version: 3,
          name: 'acme-default',
          rules: [{ action_pattern: 'fs.read:*', decision: 'Allow' }],
          enforcement_mode: 'observe',
        });
      });

      it("reads through upstream's (org_id, agent_id, policy_version DESC) index, newest first", async () => {
        const client = await db.appPool.connect();
        try {
          await client.query('BEGIN');
          await client.query('SET LOCAL enable_seqscan = off');
          await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [SYSTEM_ORG_ID]);
          const { rows } = await client.query(
            `EXPLAIN (FORMAT JSON) SELECT body FROM ${db.schema}.policies
             WHERE org_id = $1 AND agent_id = $2 ORDER BY policy_version DESC LIMIT 1`,
            [SYSTEM_ORG_ID, freshAgentId()],
          );
          const plan = JSON.stringify(rows[0]['QUERY PLAN']);
          expect(plan).toContain('"Index Name":"idx_policies_org_agent_version"');
          expect(plan).not.toContain('Sort');
        } finally {
          await client.query('ROLLBACK');
          client.release();
        }
      });

      it('rejects with Backend, saying migrate() may not have run, when the table is missing', async () => {
        const own = createPool({ max: 1 });
        try {
          const missing = new PgPolicyStore(own, { schema: freshSchema('missing') });
          const error = await missing.getPolicy(freshAgentId()).catch((caught: unknown) => caught);
          expect(error).toMatchObject({
            kind: 'Backend',
            cause: expect.objectContaining({ code: '42P01' }),
          });
          expect((error as Error).message).toContain('has migrate() run for this schema?');
          // A server error leaves the connection healthy: it went back to the db.pool.
          expect({ total: own.totalCount, idle: own.idleCount }).toEqual({ total: 1, idle: 1 });
        } finally {
          await own.end();
        }
      });

      it('rejects a forged, non-canonical id with a TypeError, as a rejection', async () => {
        const pending = db.store.getPolicy('NOT-AN-ID' as never);
        await expect(pending).rejects.toThrow(TypeError);
        await expect(pending).rejects.toThrow('Expected `id` to be a canonical AgentId');
      });
    });

    describe('invalidate()', () => {
      it('resolves and changes nothing, for any id', async () => {
        const id = freshAgentId();
        await insertRow(db.pool, db.schema, id, samplePolicy(4));
        await expect(db.store.invalidate(id)).resolves.toBeUndefined();
        await expect(db.store.invalidate(freshAgentId())).resolves.toBeUndefined();
        await expect(db.store.getPolicy(id)).resolves.toEqual(samplePolicy(4));
      });
    });

    describe('registerAgent()', () => {
      it("creates the agent's row once, under the system org by default", async () => {
        const id = freshAgentId();
        await expect(db.store.registerAgent(id)).resolves.toBe(true);
        await expect(db.store.registerAgent(id)).resolves.toBe(false);
        const { rows } = await db.pool.query(
          `SELECT org_id, status FROM ${db.schema}.agents WHERE id = $1`,
          [id],
        );
        expect(rows).toEqual([{ org_id: null, status: 'registered' }]);
      });
    });

    describe('putPolicy()', () => {
      async function registered() {
        const id = freshAgentId();
        await db.store.registerAgent(id);
        return id;
      }

      it('writes policy_version 1 for a new agent, then highest + 1, keeping the document as given', async () => {
        const id = await registered();
        await expect(db.store.putPolicy(id, samplePolicy(99))).resolves.toBe(1);
        await expect(db.store.getPolicy(id)).resolves.toEqual(samplePolicy(99));
        await insertRow(db.pool, db.schema, id, samplePolicy(41));
        await expect(db.store.putPolicy(id, samplePolicy(0))).resolves.toBe(42);
        await expect(db.store.getPolicy(id)).resolves.toEqual(samplePolicy(0));
      });

      it("stores upstream's body byte for byte, under the system org", async () => {
        const id = await registered();
        await db.store.putPolicy(id, samplePolicy(7));
        const { rows } = await db.pool.query(
          `SELECT body::text AS body, org_id FROM ${db.schema}.policies WHERE agent_id = $1`,
          [id],
        );
        expect(rows).toEqual([
          {
            body: '{"name": "sample-v7", "rules": [{"decision": "Allow", "action_pattern": "tools.read.*"}, {"decision": "RequireApproval", "action_pattern": "tools.shell.*"}], "version": 7, "enforcement_mode": "enforce"}',
            org_id: SYSTEM_ORG_ID,
          },
        ]);
      });

      it('keeps earlier versions as rows, with updated_at set', async () => {
        const id = await registered();
        await db.store.putPolicy(id, samplePolicy(1));
        await db.store.putPolicy(id, samplePolicy(1));
        const { rows } = await db.pool.query(
          `SELECT policy_version::int AS v, updated_at FROM ${db.schema}.policies WHERE agent_id = $1 ORDER BY 1`,
          [id],
        );
        expect(rows.map((row) => row.v)).toEqual([1, 2]);
        expect(rows.every((row) => row.updated_at instanceof Date)).toBe(true);
      });

      it('gives 20 concurrent puts of one agent the versions 1..20, once each', async () => {
        const id = await registered();
        const writers = Array.from({ length: 20 }, (_, index) =>
          db.store.putPolicy(id, { ...samplePolicy(1), name: `writer-${index}` }),
        );
        const versions = await Promise.all(writers);
        expect([...versions].sort((a, b) => a - b)).toEqual(
          Array.from({ length: 20 }, (_, index) => index + 1),
        );
        const { rows } = await db.pool.query(
          `SELECT policy_version::int AS v, body->>'name' AS name
           FROM ${db.schema}.policies WHERE agent_id = $1 ORDER BY 1`,
          [id],
        );
        expect(rows).toHaveLength(20);
        for (const row of rows) {
          expect(versions[Number(row.name.slice('writer-'.length))]).toBe(row.v);
        }
        const newest = rows.at(-1)?.name as string;
        await expect(db.store.getPolicy(id)).resolves.toMatchObject({ name: newest });
      });

      it('keeps concurrent puts of different agents apart', async () => {
        const ids = await Promise.all(Array.from({ length: 5 }, registered));
        const versions = await Promise.all(
          ids.flatMap((id) => [
            db.store.putPolicy(id, samplePolicy(1)),
            db.store.putPolicy(id, samplePolicy(1)),
          ]),
        );
        expect(versions.sort()).toEqual([1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
      });

      it('retries when a writer that bypasses the store takes the version it computed', async () => {
        const id = await registered();
        await db.store.putPolicy(id, samplePolicy(1));
        const rogue = await db.pool.connect();
        try {
          await rogue.query('BEGIN');
          await rogue.query(
            `INSERT INTO ${db.schema}.policies (agent_id, policy_version, body) VALUES ($1, 2, $2)`,
            [id, JSON.stringify(samplePolicy(2))],
          );
          // The store computes 2 too, and waits on the unique index for the rogue.
          const put = db.store.putPolicy(id, samplePolicy(7));
          await waitForLockWait(db.pool, db.schema);
          await rogue.query('COMMIT');
          await expect(put).resolves.toBe(3);
        } finally {
          rogue.release();
        }
        await expect(db.store.getPolicy(id)).resolves.toEqual(samplePolicy(7));
      });

      it('rejects with Conflict, the unique violation as cause, when every attempt collides', async () => {
        const conflicted = freshSchema('conflict');
        await migrate(db.pool, { schema: conflicted });
        await grantAppRole(db.pool, conflicted);
        try {
          await db.pool.query(`
            CREATE FUNCTION ${conflicted}.collide() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE unique_violation USING MESSAGE = 'simulated collision'; END $$;
            CREATE TRIGGER collide BEFORE INSERT ON ${conflicted}.policies
            FOR EACH ROW EXECUTE FUNCTION ${conflicted}.collide();`);
          const conflictedStore = new PgPolicyStore(db.appPool, { schema: conflicted });
          const id = freshAgentId();
          await conflictedStore.registerAgent(id);
          const error = await conflictedStore
            .putPolicy(id, samplePolicy(1))
            .catch((caught: unknown) => caught);
          expect(error).toMatchObject({
            kind: 'Conflict',
            code: 'AA_STORAGE_CONFLICT',
            cause: expect.objectContaining({ code: '23505', message: 'simulated collision' }),
          });
          expect((error as Error).message).toContain('3 times in a row');
          // Each failed attempt was rolled back: the client went back healthy.
          await expect(conflictedStore.getPolicy(freshAgentId())).rejects.toMatchObject({
            kind: 'NotFound',
          });
        } finally {
          await dropSchema(db.pool, conflicted);
        }
      });

      it('rejects an agent with no agents row with NotFound naming it, and writes nothing', async () => {
        const id = freshAgentId();
        await expect(db.store.putPolicy(id, samplePolicy(1))).rejects.toMatchObject({
          kind: 'NotFound',
          message: `NotFound: agent ${id} has no agents row in org ${SYSTEM_ORG_ID}; register it first`,
        });
        const { rows } = await db.pool.query(
          `SELECT count(*)::int AS n FROM ${db.schema}.policies WHERE agent_id = $1`,
          [id],
        );
        expect(rows[0].n).toBe(0);
      });

      it.each([
        ['a missing name', { version: 1, rules: [] }],
        [
          'a camelCase rule',
          { ...samplePolicy(1), rules: [{ actionPattern: '*', decision: 'Allow' }] },
        ],
        [
          'a lower-case decision',
          { ...samplePolicy(1), rules: [{ action_pattern: '*', decision: 'allow' }] },
        ],
      ])('rejects a document with %s with a TypeError and writes nothing', async (_, document) => {
        const id = await registered();
        await expect(db.store.putPolicy(id, document as unknown as PolicyDocument)).rejects.toThrow(
          /^Expected `document` to be a valid policy document/,
        );
        await expect(db.store.getPolicy(id)).rejects.toMatchObject({ kind: 'NotFound' });
      });

      it('rejects a forged id with a TypeError', async () => {
        await expect(db.store.putPolicy('nope' as never, samplePolicy(1))).rejects.toThrow(
          'Expected `id` to be a canonical AgentId',
        );
      });
    });
  });
});

/** Waits until some session of the database waits on a lock on `schema`'s table. */
function waitForLockWait(pool: pg.Pool, schema: string): Promise<void> {
  return waitUntil(
    async () => {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE wait_event_type = 'Lock' AND query LIKE $1`,
        [`%${schema}%`],
      );
      return rows[0].n > 0;
    },
    'a session to wait on the lock',
    2_000,
  );
}
