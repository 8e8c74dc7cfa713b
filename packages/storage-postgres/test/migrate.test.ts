import { SYSTEM_ORG_ID } from '@aa/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import {
  applyUpstreamMigrations,
  catalogOf,
  createPool,
  dropSchema,
  freshSchema,
  postgresAvailable,
} from './support/postgres.js';

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
