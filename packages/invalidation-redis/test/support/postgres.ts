import { randomUUID } from 'node:crypto';
import { pgUrlFromEnv } from '@aa/storage-postgres';
import { requireService } from '@aa/testing';
import pg from 'pg';

/** The pool type the Postgres helpers take. */
export type Pool = pg.Pool;

/** The PostgreSQL server: `AA_PG_URL`, else `postgres://postgres@127.0.0.1:5432/test`. */
export const PG_URL = pgUrlFromEnv();

/** Whether PostgreSQL answers; see `requireService`. */
export function postgresAvailable(): Promise<boolean> {
  return requireService(
    `PostgreSQL at ${PG_URL}`,
    async () => {
      const pool = createPool();
      try {
        await pool.query('SELECT 1');
      } finally {
        await pool.end();
      }
    },
    { hint: 'start PostgreSQL or set AA_PG_URL (default postgres://postgres@127.0.0.1:5432/test)' },
  );
}

/** A small pool on {@link PG_URL} with short timeouts and an `'error'` listener. */
export function createPool(): Pool {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4, connectionTimeoutMillis: 2_000 });
  pool.on('error', () => {});
  return pool;
}

/** A schema name no other test or run uses. */
export function freshSchema(): string {
  return `aa_test_redis_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** Drops `schema` and everything in it. */
export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
}
