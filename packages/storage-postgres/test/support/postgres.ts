import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AgentId, type OrgId, type PolicyDocument, SYSTEM_ORG_ID } from '@aa/core';
import { requireService } from '@aa/testing';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { migrate, PgPolicyStore, pgUrlFromEnv } from '../../src/index.js';

/** The server every suite talks to: `AA_PG_URL`, or the local default. */
export const PG_URL = pgUrlFromEnv();

/** `host:port/database` of {@link PG_URL}, without credentials, for messages. */
export const PG_ADDRESS = (() => {
  try {
    const url = new URL(PG_URL);
    return `${url.host}${url.pathname}`;
  } catch {
    return 'AA_PG_URL';
  }
})();

const noop = () => {};

/**
 * Whether the suites that need PostgreSQL run: the service gate of
 * `@aa/testing` with a real connection and `SELECT 1` as its probe.
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

/** A pool on {@link PG_URL} with short timeouts and an `'error'` listener, as the README advises. */
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

/** The URL of {@link PG_URL}'s server and database, as {@link APP_ROLE}. */
export const APP_URL = (() => {
  const url = new URL(PG_URL);
  url.username = APP_ROLE;
  url.password = '';
  return url.toString();
})();

/**
 * Creates {@link APP_ROLE} if missing (concurrent suites may race to) and
 * grants it what a runtime role needs on `schema`: `USAGE`, and `SELECT,
 * INSERT` on `agents` and `policies`, `SELECT` on `orgs`.
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

/** A pool connected as the unprivileged {@link APP_ROLE}. */
export function createAppPool(overrides: pg.PoolConfig = {}): pg.Pool {
  return createPool({ connectionString: APP_URL, ...overrides });
}

/** A schema name no other test or run uses: `aa_test_<tag>_<random>`. */
export function freshSchema(tag: string): string {
  return `aa_test_${tag}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** Drops `schema` and everything in it. */
export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
}

/** A random agent id. */
export function freshAgentId(): AgentId {
  return AgentId.parse(randomUUID());
}

/**
 * Creates, through a privileged `pool`, the `orgs` row of `orgId` (unless it
 * is the system org, which `migrate()` creates) and the `agents` row of `id`
 * under it (`org_id` null for the system org, as upstream's registration
 * writes it), each only if missing.
 */
export async function seedAgent(
  pool: pg.Pool,
  schema: string,
  id: AgentId,
  orgId: OrgId = SYSTEM_ORG_ID,
): Promise<void> {
  const quoted = pg.escapeIdentifier(schema);
  if (orgId !== SYSTEM_ORG_ID) {
    await pool.query(
      `INSERT INTO ${quoted}.orgs (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
      [orgId, `org ${orgId}`],
    );
  }
  await pool.query(
    `INSERT INTO ${quoted}.agents (id, org_id) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
    [id, orgId === SYSTEM_ORG_ID ? null : orgId],
  );
}

/**
 * Inserts a policy row straight into `schema`'s table through a privileged
 * `pool`, bypassing the store and row-level security, as upstream's writers
 * do: version `version` (the document's own by default) with `body` stored
 * exactly as given, valid or not, under `orgId`. Seeds the agent first.
 */
export async function insertRow(
  pool: pg.Pool,
  schema: string,
  id: AgentId,
  body: unknown,
  version = (body as PolicyDocument).version,
  orgId: OrgId = SYSTEM_ORG_ID,
): Promise<void> {
  await seedAgent(pool, schema, id, orgId);
  await pool.query(
    `INSERT INTO ${pg.escapeIdentifier(schema)}.policies (agent_id, policy_version, body, org_id) VALUES ($1, $2, $3::jsonb, $4)`,
    [id, version, JSON.stringify(body), orgId],
  );
}

/** Waits until `condition()` holds, polling every 10 ms; fails after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How far a promise got, without waiting for it. */
export async function settledWithin<T>(
  promise: Promise<T>,
  ms: number,
): Promise<
  | { status: 'fulfilled'; value: T }
  | { status: 'rejected'; reason: unknown }
  | { status: 'pending' }
> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<{ status: 'pending' }>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'pending' }), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ status: 'fulfilled' as const, value }),
        (reason: unknown) => ({ status: 'rejected' as const, reason }),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Pools and a store over a fresh, migrated schema, alive for one suite. */
export interface MigratedStore {
  readonly schema: string;
  /** A privileged pool (the test server's superuser): seeds rows, bypassing row-level security. */
  readonly pool: pg.Pool;
  /** A pool of the unprivileged {@link APP_ROLE}, which {@link MigratedStore.store} uses. */
  readonly appPool: pg.Pool;
  /** The store under test, connected as {@link APP_ROLE}. */
  readonly store: PgPolicyStore;
}

/**
 * Creates the pools, migrates a fresh schema named after `tag`, grants the
 * unprivileged role its rights and builds a store over that role's pool before
 * the enclosing suite; drops the schema and ends the pools after it. Read
 * `pool`, `appPool` and `store` inside tests and hooks, not while registering.
 */
export function migratedStore(tag: string): MigratedStore {
  const schema = freshSchema(tag);
  let pool: pg.Pool | undefined;
  let appPool: pg.Pool | undefined;
  let store: PgPolicyStore | undefined;
  beforeAll(async () => {
    pool = createPool();
    await migrate(pool, { schema });
    await grantAppRole(pool, schema);
    appPool = createAppPool();
    store = new PgPolicyStore(appPool, { schema });
  });
  afterAll(async () => {
    await appPool?.end();
    if (pool === undefined) return;
    await dropSchema(pool, schema);
    await pool.end();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('migratedStore() is read before its suite started');
    return value;
  };
  return {
    schema,
    get pool() {
      return ready(pool);
    },
    get appPool() {
      return ready(appPool);
    },
    get store() {
      return ready(store);
    },
  };
}

const UPSTREAM_MIGRATIONS = readFileSync(
  new URL('../fixtures/upstream-migrations.sql', import.meta.url),
  'utf8',
);

/**
 * Builds `schema` with upstream's own migrations (the fixture
 * `upstream-migrations.sql`, verbatim), run with `search_path` set to it, as
 * sqlx runs them against a database's default schema: all of them, or those
 * before migration `before` (`'0006'`: the schema before tenants).
 */
export async function applyUpstreamMigrations(
  pool: pg.Pool,
  schema: string,
  options: { before?: string; createSchema?: boolean } = {},
): Promise<void> {
  const marker =
    options.before === undefined ? -1 : UPSTREAM_MIGRATIONS.indexOf(`-- ===== ${options.before}`);
  const ddl = marker === -1 ? UPSTREAM_MIGRATIONS : UPSTREAM_MIGRATIONS.slice(0, marker);
  const client = await pool.connect();
  try {
    if (options.createSchema !== false) {
      await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
    }
    await client.query('BEGIN');
    await client.query(`SET LOCAL search_path TO ${pg.escapeIdentifier(schema)}`);
    await client.query(ddl);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

/**
 * Everything about `orgs`, `agents` and `policies` in `schema` that a
 * migration decides: columns, constraints, indexes, row-level security, its
 * policies and the rows of `orgs`, with the schema's name taken out so two
 * schemas compare.
 */
export async function catalogOf(pool: pg.Pool, schema: string): Promise<unknown> {
  const tables = ['orgs', 'agents', 'policies'];
  const query = async (text: string, values: unknown[] = [schema, tables]) => {
    const { rows } = await pool.query(text, values);
    return JSON.parse(JSON.stringify(rows).replaceAll(schema, '<schema>'));
  };
  return {
    columns: await query(
      `SELECT table_name, column_name, data_type, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = $1 AND table_name = ANY($2)
       ORDER BY table_name, ordinal_position`,
    ),
    constraints: await query(
      `SELECT c.relname AS table_name, k.conname, pg_get_constraintdef(k.oid) AS definition
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relname = ANY($2) ORDER BY 1, 2`,
    ),
    indexes: await query(
      `SELECT tablename, indexname, indexdef FROM pg_indexes
       WHERE schemaname = $1 AND tablename = ANY($2) ORDER BY 1, 2`,
    ),
    security: await query(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relname = ANY($2) ORDER BY 1`,
    ),
    policies: await query(
      `SELECT tablename, policyname, permissive, roles, cmd, qual, with_check
       FROM pg_policies WHERE schemaname = $1 AND tablename = ANY($2) ORDER BY 1, 2`,
    ),
    orgs: await query(`SELECT id, name FROM ${pg.escapeIdentifier(schema)}.orgs ORDER BY id`, []),
  };
}
