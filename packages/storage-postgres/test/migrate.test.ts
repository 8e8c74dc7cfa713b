import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import { createPool, dropSchema, freshSchema, postgresAvailable } from './support/postgres.js';

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

    it('creates the schema and the policies table modelled on upstream', async () => {
      const schema = schemaFor('migrate');
      await migrate(pool, { schema });
      const { rows: columns } = await pool.query(
        `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = 'policies' ORDER BY ordinal_position`,
        [schema],
      );
      expect(columns).toEqual([
        { column_name: 'agent_id', data_type: 'uuid', is_nullable: 'NO', column_default: null },
        {
          column_name: 'policy_version',
          data_type: 'bigint',
          is_nullable: 'NO',
          column_default: null,
        },
        { column_name: 'body', data_type: 'jsonb', is_nullable: 'NO', column_default: null },
        {
          column_name: 'updated_at',
          data_type: 'timestamp with time zone',
          is_nullable: 'NO',
          column_default: 'now()',
        },
      ]);
      const { rows: key } = await pool.query(
        `SELECT a.attname FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
         WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
        [`${schema}.policies`],
      );
      expect(key.map((row) => row.attname)).toEqual(['agent_id', 'policy_version']);
    });

    it('is idempotent, even when several run at once', async () => {
      const schema = schemaFor('migrate');
      await Promise.all([
        migrate(pool, { schema }),
        migrate(pool, { schema }),
        migrate(pool, { schema }),
      ]);
      await pool.query(
        `INSERT INTO ${schema}.policies (agent_id, policy_version, body) VALUES (gen_random_uuid(), 1, '{}')`,
      );
      await migrate(pool, { schema });
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.policies`);
      expect(rows[0].n).toBe(1);
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
