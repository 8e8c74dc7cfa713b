// What the suites of PgPolicyStore share beyond the generic PostgreSQL test
// bed of @aa/test-infra: rows of the policy tables, a migrated store per
// suite, and upstream's own migrations with a catalog to compare them by.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AgentId, type OrgId, type PolicyDocument, SYSTEM_ORG_ID } from '@aa/core';
import { createAppPool, createPool, dropSchema, freshSchema, grantAppRole } from '@aa/test-infra';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { migrate, PgPolicyStore } from '../../src/index.js';

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

/** Pools and a store over a fresh, migrated schema, alive for one suite. */
export interface MigratedStore {
  readonly schema: string;
  /** A privileged pool (the test server's superuser): seeds rows, bypassing row-level security. */
  readonly pool: pg.Pool;
  /** A pool of the unprivileged `APP_ROLE` (`aa_test_app`), which {@link MigratedStore.store} uses. */
  readonly appPool: pg.Pool;
  /** The store under test, connected as `APP_ROLE` (`aa_test_app`). */
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
