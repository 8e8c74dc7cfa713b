import { randomUUID } from 'node:crypto';
import { requireService } from '@aa/testing';
import pg from 'pg';

const noop = () => {};

/**
 * The PostgreSQL server every suite talks to: `AA_PG_URL`, else
 * `postgres://postgres@127.0.0.1:5432/test`. The same rule as `pgUrlFromEnv()`
 * of `@aa/storage-postgres`, restated because this package cannot import it:
 * `@aa/storage-postgres` depends on this one for its tests, and the workspace
 * graph must stay acyclic.
 */
export const PG_URL = (() => {
  const { AA_PG_URL } = process.env;
  return AA_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
})();

/** `host:port/database` of {@link PG_URL}, without credentials, for messages. */
const PG_ADDRESS = (() => {
  try {
    const url = new URL(PG_URL);
    return `${url.host}${url.pathname}`;
  } catch {
    return 'AA_PG_URL';
  }
})();

/**
 * Whether the suites that need PostgreSQL run: `requireService` of
 * `@aa/testing` with a real connection and `SELECT 1` as its probe. `true`
 * runs them; `false` skips them with one loud line; under
 * `AA_REQUIRE_SERVICES=1` an unreachable server fails the run instead.
 *
 * @example
 * const available = await postgresAvailable();
 * describe.runIf(available)('PgPolicyStore', () => { … });
 */
export function postgresAvailable(): Promise<boolean> {
  return requireService(
    `PostgreSQL at ${PG_ADDRESS}`,
    async () => {
      const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
      client.on('error', noop);
      try {
        await client.connect();
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(noop);
      }
    },
    { hint: 'start PostgreSQL or set AA_PG_URL (default postgres://postgres@127.0.0.1:5432/test)' },
  );
}

/**
 * A pool on {@link PG_URL} (a privileged role, on the test server) with a
 * short connection timeout and an `'error'` listener, as the README advises;
 * `overrides` win.
 */
export function createPool(overrides: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: PG_URL,
    connectionTimeoutMillis: 2_000,
    max: 10,
    ...overrides,
  });
  pool.on('error', noop);
  return pool;
}

/**
 * The unprivileged role the stores under test connect as: no superuser, no
 * `BYPASSRLS`, so row-level security binds it as it binds upstream's runtime
 * role. A test run as a superuser would prove nothing about tenant isolation.
 */
export const APP_ROLE = 'aa_test_app';

/** {@link PG_URL}'s server and database, as {@link APP_ROLE}. */
export const APP_URL = (() => {
  const url = new URL(PG_URL);
  url.username = APP_ROLE;
  url.password = '';
  return url.toString();
})();

/**
 * Creates {@link APP_ROLE} if missing (concurrent suites may race to) and
 * grants it what a runtime role needs on `schema`, a schema already migrated:
 * `USAGE`, `SELECT, INSERT` on `agents` and `policies`, `SELECT` on `orgs`.
 */
export async function grantAppRole(admin: pg.Pool, schema: string): Promise<void> {
  await admin.query(`DO $$ BEGIN
      CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`);
  const quoted = pg.escapeIdentifier(schema);
  await admin.query(`GRANT USAGE ON SCHEMA ${quoted} TO ${APP_ROLE}`);
  await admin.query(`GRANT SELECT, INSERT ON ${quoted}.agents, ${quoted}.policies TO ${APP_ROLE}`);
  await admin.query(`GRANT SELECT ON ${quoted}.orgs TO ${APP_ROLE}`);
}

/** A pool like {@link createPool}'s, connected as the unprivileged {@link APP_ROLE}. */
export function createAppPool(overrides: pg.PoolConfig = {}): pg.Pool {
  return createPool({ connectionString: APP_URL, ...overrides });
}

/**
 * A schema name no other suite, run or engineer sharing the server uses:
 * `aa_test_<tag>_<12 random hex digits>`. Nothing is created.
 */
export function freshSchema(tag: string): string {
  return `aa_test_${tag}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** Drops `schema` and everything in it, if it exists. */
export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
}
