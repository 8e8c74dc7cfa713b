import { SYSTEM_ORG_ID } from '@aa/core';
import { createPool, dropSchema, freshSchema, PG_URL, postgresAvailable } from '@aa/test-infra';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import { applyUpstreamMigrations, catalogOf } from './support/policy-tables.js';

const available = await postgresAvailable();

describe('migrate()', () => {
  it.each([
    ['Robert"; DROP TABLE students; --'],
    ['UpperCase'],
    ['pg_catalog'],
    [''],
    ['x'.repeat(49)],
    [42],
  ])('rejects the schema name %j with a TypeError before touching the pool', async (schema) => {
    const pool = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    await expect(migrate(pool, { schema: schema as string })).rejects.toThrow(
      /^Expected `schema` to be a lowercase SQL identifier .*, got /,
    );
    expect(pool.totalCount).toBe(0);
    await pool.end();
  });

  describe.runIf(available)('against PostgreSQL', () => {
    let pool: pg.Pool;
    const schemas: string[] = [];
    const schemaFor = (tag: string) => {
      const schema = freshSchema(tag);
      schemas.push(schema);
      return schema;
    };

    beforeAll(() => {
      pool = createPool();
    });

    afterAll(async () => {
      for (const schema of schemas) await dropSchema(pool, schema);
      await pool.end();
    });

    it("gives a fresh schema exactly the shape upstream's own migrations give it", async () => {
      const ours = schemaFor('ours');
      await migrate(pool, { schema: ours });
      const theirs = schemaFor('theirs');
      await applyUpstreamMigrations(pool, theirs);
      expect(await catalogOf(pool, ours)).toEqual(await catalogOf(pool, theirs));
    });

    it('changes nothing on a database upstream already migrated, rows included', async () => {
      const schema = schemaFor('upstream');
      await applyUpstreamMigrations(pool, schema);
      await pool.query(
        `INSERT INTO ${schema}.agents (id) VALUES ('6f9619ff-8b86-d011-b42d-00cf4fc964ff');
         INSERT INTO ${schema}.policies (agent_id, policy_version, body)
         VALUES ('6f9619ff-8b86-d011-b42d-00cf4fc964ff', 1, '{"version":1,"name":"n","rules":[]}')`,
      );
      const before = await catalogOf(pool, schema);
      const rowsBefore = await rowVersions(pool, schema);
      await migrate(pool, { schema });
      await migrate(pool, { schema });
      expect(await catalogOf(pool, schema)).toEqual(before);
      // xmin changes when a row is rewritten: none was.
      expect(await rowVersions(pool, schema)).toEqual(rowsBefore);
    });

    it("files an org's existing policies under that org on a schema from before upstream's tenant migration", async () => {
      const schema = schemaFor('pre0006');
      await applyUpstreamMigrations(pool, schema, { before: '0006' });
      const org = '11111111-1111-4111-8111-111111111111';
      await pool.query(`INSERT INTO ${schema}.orgs (id, name) VALUES ($1, 'acme')`, [org]);
      await pool.query(
        `INSERT INTO ${schema}.agents (id, org_id) VALUES ('a-acme', $1), ('a-none', NULL)`,
        [org],
      );
      await pool.query(
        `INSERT INTO ${schema}.policies (agent_id, policy_version, body)
         VALUES ('a-acme', 1, '{}'), ('a-none', 1, '{}')`,
      );
      await migrate(pool, { schema });
      const { rows } = await pool.query(
        `SELECT agent_id, org_id FROM ${schema}.policies ORDER BY agent_id`,
      );
      expect(rows).toEqual([
        { agent_id: 'a-acme', org_id: org },
        { agent_id: 'a-none', org_id: SYSTEM_ORG_ID },
      ]);
      const theirs = schemaFor('theirs');
      await applyUpstreamMigrations(pool, theirs);
      expect(await catalogOf(pool, schema)).toMatchObject({
        columns: ((await catalogOf(pool, theirs)) as { columns: unknown }).columns,
      });
    });

    it("refuses, changing nothing, a schema upstream's own migrator keeps and has not finished", async () => {
      const schema = schemaFor('sqlx');
      await applyUpstreamMigrations(pool, schema, { before: '0006' });
      await pool.query(`CREATE TABLE ${schema}._sqlx_migrations (version BIGINT PRIMARY KEY)`);
      const before = await catalogOf(pool, schema);
      await expect(migrate(pool, { schema })).rejects.toMatchObject({
        kind: 'Conflict',
        message: expect.stringContaining("upstream's migrator manages it (_sqlx_migrations)"),
      });
      expect(await catalogOf(pool, schema)).toEqual(before);
    });

    it('takes no lock on the tables of an up-to-date schema, so reads never wait for it', async () => {
      const schema = schemaFor('nolock');
      await migrate(pool, { schema });
      const reader = await pool.connect();
      try {
        await reader.query('BEGIN');
        await reader.query(`SELECT count(*) FROM ${schema}.policies`);
        const started = performance.now();
        await migrate(pool, { schema });
        expect(performance.now() - started).toBeLessThan(2_000);
      } finally {
        await reader.query('ROLLBACK');
        reader.release();
      }
    });

    it("works for the tables' owner, which may not create schemas in the database", async () => {
      const schema = schemaFor('owner');
      await pool.query(`DO $$ BEGIN CREATE ROLE aa_test_owner LOGIN NOSUPERUSER NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
      await pool.query(`CREATE SCHEMA ${schema} AUTHORIZATION aa_test_owner`);
      const url = new URL(PG_URL);
      url.username = 'aa_test_owner';
      const owner = createPool({ connectionString: url.toString(), max: 1 });
      try {
        await applyUpstreamMigrations(owner, schema, { createSchema: false });
        await expect(migrate(owner, { schema })).resolves.toBeUndefined();
      } finally {
        await owner.end();
      }
    });

    it('is idempotent, even when several run at once', async () => {
      const schema = schemaFor('migrate');
      await Promise.all([
        migrate(pool, { schema }),
        migrate(pool, { schema }),
        migrate(pool, { schema }),
      ]);
      const once = await catalogOf(pool, schema);
      await pool.query(`INSERT INTO ${schema}.agents (id) VALUES (gen_random_uuid()::text)`);
      await migrate(pool, { schema });
      expect(await catalogOf(pool, schema)).toEqual(once);
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.agents`);
      expect(rows[0].n).toBe(1);
    });

    it('holds the reserved system org, the nil UUID', async () => {
      const schema = schemaFor('system');
      await migrate(pool, { schema });
      const { rows } = await pool.query(`SELECT id, name FROM ${schema}.orgs`);
      expect(rows).toEqual([{ id: SYSTEM_ORG_ID, name: 'system (reserved)' }]);
    });

    it('rejects with a Backend StorageError when the server is unreachable', async () => {
      const unreachable = new pg.Pool({
        connectionString: 'postgres://postgres@127.0.0.1:1/test',
        connectionTimeoutMillis: 1_000,
      });
      await expect(migrate(unreachable, { schema: 'never_created' })).rejects.toMatchObject({
        kind: 'Backend',
        cause: expect.objectContaining({ code: 'ECONNREFUSED' }),
      });
      await unreachable.end();
    });
  });
});

/** Each row's id and xmin (the transaction that last wrote it) in the policy tables. */
async function rowVersions(pool: pg.Pool, schema: string): Promise<unknown[]> {
  const { rows } = await pool.query(
    `SELECT 'orgs' AS t, id::text, xmin::text FROM ${schema}.orgs
     UNION ALL SELECT 'agents', id, xmin::text FROM ${schema}.agents
     UNION ALL SELECT 'policies', agent_id || '@' || policy_version, xmin::text FROM ${schema}.policies
     ORDER BY 1, 2`,
  );
  return rows;
}
