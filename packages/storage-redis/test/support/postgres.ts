import { randomUUID } from 'node:crypto';
import { migrate, pgUrlFromEnv } from '@aa/storage-postgres';
import { requireService } from '@aa/testing';
import pg from 'pg';

/** The PostgreSQL server: `AA_PG_URL`, else the local default. */
export const PG_URL = pgUrlFromEnv();
/** The unprivileged role the stores under test connect as (row-level security binds it). */
export const APP_ROLE = 'aa_test_app';

/** {@link PG_URL} as {@link APP_ROLE}. */
export const APP_URL = (() => {
  const url = new URL(PG_URL);
  url.username = APP_ROLE;
  url.password = '';
  return url.toString();
})();

/** Whether PostgreSQL answers; see `requireService`. */
export function postgresAvailable(): Promise<boolean> {
  return requireService(
    `PostgreSQL at ${new URL(PG_URL).host}`,
    async () => {
      const pool = createPool(PG_URL);
      try {
        await pool.query('SELECT 1');
      } finally {
        await pool.end();
      }
    },
    { hint: 'start PostgreSQL or set AA_PG_URL' },
  );
}

/** A small pool with short timeouts and an `'error'` listener. */
export function createPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 2_000 });
  pool.on('error', () => {});
  return pool;
}

/**
 * A fresh schema in upstream's shape, with {@link APP_ROLE} created if missing
 * and granted what a runtime needs; returns its name.
 */
export async function migratedSchema(admin: pg.Pool): Promise<string> {
  const schema = `aa_test_l2_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await migrate(admin, { schema });
  await admin.query(`DO $$ BEGIN CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
  await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO ${APP_ROLE}`);
  await admin.query(`GRANT SELECT, INSERT ON ${schema}.agents, ${schema}.policies TO ${APP_ROLE}`);
  await admin.query(`GRANT SELECT ON ${schema}.orgs TO ${APP_ROLE}`);
  return schema;
}
