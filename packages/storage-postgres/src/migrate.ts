import { SYSTEM_ORG_ID } from '@aa/core';
import type { Pool, PoolClient } from 'pg';
import pg from 'pg';
import { backendError } from './backend-error.js';
import { rollback } from './rollback.js';
import { checkSchemaName, DEFAULT_SCHEMA, qualified } from './schema-name.js';

/** Settings of {@link migrate}. */
export interface MigrateOptions {
  /**
   * The schema to create the tables in; created too if missing. A lowercase
   * identifier (`[a-z_][a-z0-9_]*`, at most 48 characters, not starting with
   * `pg_`). Upstream's own migrations use the connection's default schema,
   * normally `public`.
   *
   * @default 'public'
   */
  readonly schema?: string | undefined;
}

// Serialises concurrent migrations in one database: CREATE … IF NOT EXISTS
// alone can still fail with a unique violation on the catalogs when two
// sessions create the same object at once.
const MIGRATION_LOCK_KEY = 'aa/storage-postgres/migrate';

/** The expression every `tenant_isolation` policy compares a row's org with. */
const TENANT_SETTING = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

/**
 * Upstream's DDL for the policy path (its migrations 0001, 0002, 0003, 0006
 * and 0007, the parts that touch `orgs`, `agents` and `policies`), each step
 * made idempotent. Objects keep upstream's names, so a database upstream
 * migrated already has every one of them.
 */
function steps(schema: string): readonly string[] {
  const orgs = qualified(schema, 'orgs');
  const agents = qualified(schema, 'agents');
  const policies = qualified(schema, 'policies');
  const system = pg.escapeLiteral(SYSTEM_ORG_ID);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`,
    `CREATE TABLE IF NOT EXISTS ${orgs} (
      id UUID PRIMARY KEY,
      name TEXT NOT NULL,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    `CREATE TABLE IF NOT EXISTS ${agents} (
      id TEXT PRIMARY KEY,
      org_id UUID REFERENCES ${orgs}(id),
      status TEXT NOT NULL DEFAULT 'registered',
      registered_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      last_heartbeat TIMESTAMPTZ)`,
    `CREATE INDEX IF NOT EXISTS idx_agents_org_id ON ${agents}(org_id)`,
    `CREATE TABLE IF NOT EXISTS ${policies} (
      agent_id TEXT NOT NULL REFERENCES ${agents}(id),
      policy_version BIGINT NOT NULL,
      body JSONB NOT NULL,
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      PRIMARY KEY (agent_id, policy_version))`,
    `CREATE INDEX IF NOT EXISTS idx_policies_agent_version ON ${policies}(agent_id, policy_version DESC)`,
    `INSERT INTO ${orgs} (id, name) VALUES (${system}, 'system (reserved)') ON CONFLICT (id) DO NOTHING`,
    `ALTER TABLE ${policies} ADD COLUMN IF NOT EXISTS org_id UUID NOT NULL DEFAULT ${system}
      CONSTRAINT policies_org_id_fkey REFERENCES ${orgs}(id)`,
    `CREATE INDEX IF NOT EXISTS idx_policies_org_agent_version ON ${policies}(org_id, agent_id, policy_version DESC)`,
  ];
}

/** Row-level security on one table, as upstream's migration 0007 sets it up. */
interface Isolation {
  readonly table: 'agents' | 'policies';
  /** The org a row belongs to: `agents.org_id` is nullable and means the system org when null. */
  readonly rowOrg: string;
}

const ISOLATED: readonly Isolation[] = [
  { table: 'agents', rowOrg: `COALESCE(org_id, '${SYSTEM_ORG_ID}')` },
  { table: 'policies', rowOrg: 'org_id' },
];

/**
 * Creates, idempotently, upstream's schema for policies (the shape Agent
 * Assembly's own migrations give a database) in `schema`:
 *
 * - `orgs (id UUID PRIMARY KEY, name, created_at)`, holding the reserved system
 *   org, the nil UUID;
 * - `agents (id TEXT PRIMARY KEY, org_id UUID NULL REFERENCES orgs, status,
 *   registered_at, last_heartbeat)`;
 * - `policies (agent_id TEXT REFERENCES agents, policy_version BIGINT, body JSONB,
 *   updated_at, org_id UUID NOT NULL DEFAULT <system org> REFERENCES orgs,
 *   PRIMARY KEY (agent_id, policy_version))`, with upstream's indexes;
 * - row-level security, enabled and forced on `agents` and `policies`, with
 *   upstream's `tenant_isolation` policies: a connection sees (and may write)
 *   only the rows of the org in the transaction-local setting `app.tenant_id`,
 *   and none at all when it is unset.
 *
 * Every step is skipped when its object exists, so on a database upstream
 * already migrated it changes nothing, and it is safe to run from several
 * processes at once (it takes a transaction-scoped advisory lock). It never
 * alters or drops anything that exists. Upstream's other tables (audit logs,
 * credentials, users) are not created: the policy path does not touch them.
 *
 * Run it as a privileged role (the tables' owner); the store itself should
 * connect as an unprivileged one (no superuser, no `BYPASSRLS`), which needs
 * `USAGE` on the schema and `SELECT, INSERT` on `agents` and `policies`.
 *
 * @param pool - a `pg.Pool`; one client is used for the migration's transaction.
 * @throws {TypeError} (as a rejection) when `schema` is not an accepted identifier.
 * @throws {StorageError} `Backend` when the server fails or is unreachable.
 *
 * @example
 * await migrate(adminPool, { schema: 'aa' });
 * await adminPool.query('GRANT USAGE ON SCHEMA aa TO aa_app');
 * await adminPool.query('GRANT SELECT, INSERT ON aa.agents, aa.policies TO aa_app');
 */
export async function migrate(pool: Pool, options: MigrateOptions = {}): Promise<void> {
  const schema = checkSchemaName(options.schema ?? DEFAULT_SCHEMA);
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw backendError(`migrating schema ${schema}`, error);
  }
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [MIGRATION_LOCK_KEY]);
    for (const step of steps(schema)) await client.query(step);
    for (const isolation of ISOLATED) await isolate(client, schema, isolation);
    await client.query('COMMIT');
  } catch (error) {
    broken = await rollback(client);
    throw backendError(`migrating schema ${schema}`, error);
  } finally {
    client.release(broken);
  }
}

/**
 * Enables and forces row-level security on one table and creates its
 * `tenant_isolation` policy, each only when missing: PostgreSQL has no
 * `IF NOT EXISTS` for a policy, and re-running `ALTER TABLE` would take a lock
 * on a table that needs nothing.
 */
async function isolate(client: PoolClient, schema: string, isolation: Isolation): Promise<void> {
  const table = qualified(schema, isolation.table);
  const { rows } = await client.query<{ enabled: boolean; forced: boolean; policy: boolean }>(
    `SELECT c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
            EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation') AS policy
     FROM pg_class c WHERE c.oid = $1::regclass`,
    [table],
  );
  const state = rows[0];
  if (state === undefined) throw new Error(`table ${table} vanished during the migration`);
  if (!state.enabled) await client.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
  if (!state.forced) await client.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
  if (!state.policy) {
    const check = `${isolation.rowOrg} = ${TENANT_SETTING}`;
    await client.query(
      `CREATE POLICY tenant_isolation ON ${table} USING (${check}) WITH CHECK (${check})`,
    );
  }
}
