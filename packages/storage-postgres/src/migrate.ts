import { StorageError, SYSTEM_ORG_ID } from '@aa/core';
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
const LOCK_TIMEOUT = '5s';

/** One idempotent step of the migration: what proves it done, and what does it. */
interface Step {
  /** What the step creates, for the error that refuses a partial upstream database. */
  readonly creates: string;
  /**
   * A query answering `done` (boolean) without taking any lock on a table, and
   * the relation it reads, if any (the step is pending while that is missing).
   */
  readonly done: string;
  readonly reads?: string;
  /** The statements that do it, in order. */
  readonly apply: readonly string[];
}

/**
 * Upstream's DDL for the policy path (its migrations 0001, 0002, 0003, 0006
 * and 0007, the parts that touch `orgs`, `agents` and `policies`), each step
 * done only when the catalog shows it missing: re-running on an up-to-date
 * schema takes no lock on its tables, so reads never wait for it. Objects keep
 * upstream's names, so a database upstream migrated already has every one.
 */
function steps(schema: string): readonly Step[] {
  const orgs = qualified(schema, 'orgs');
  const agents = qualified(schema, 'agents');
  const policies = qualified(schema, 'policies');
  const system = pg.escapeLiteral(SYSTEM_ORG_ID);
  const name = (object: string) => pg.escapeLiteral(`${pg.escapeIdentifier(schema)}.${object}`);
  const relation = (object: string) => `to_regclass(${name(object)}) IS NOT NULL`;
  const column = (table: string, col: string) =>
    `EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${name(table)})
       AND attname = ${pg.escapeLiteral(col)} AND NOT attisdropped)`;
  return [
    {
      creates: `schema ${schema}`,
      done: `EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ${pg.escapeLiteral(schema)})`,
      apply: [`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`],
    },
    {
      creates: 'orgs',
      done: relation('orgs'),
      apply: [
        `CREATE TABLE ${orgs} (
          id UUID PRIMARY KEY,
          name TEXT NOT NULL,
          created_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
      ],
    },
    {
      creates: 'agents',
      done: relation('agents'),
      apply: [
        `CREATE TABLE ${agents} (
          id TEXT PRIMARY KEY,
          org_id UUID REFERENCES ${orgs}(id),
          status TEXT NOT NULL DEFAULT 'registered',
          registered_at TIMESTAMPTZ NOT NULL DEFAULT now(),
          last_heartbeat TIMESTAMPTZ)`,
      ],
    },
    {
      creates: 'idx_agents_org_id',
      done: relation('idx_agents_org_id'),
      apply: [`CREATE INDEX idx_agents_org_id ON ${agents}(org_id)`],
    },
    {
      creates: 'policies',
      done: relation('policies'),
      apply: [
        `CREATE TABLE ${policies} (
          agent_id TEXT NOT NULL REFERENCES ${agents}(id),
          policy_version BIGINT NOT NULL,
          body JSONB NOT NULL,
          updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
          PRIMARY KEY (agent_id, policy_version))`,
      ],
    },
    {
      creates: 'idx_policies_agent_version',
      done: relation('idx_policies_agent_version'),
      apply: [
        `CREATE INDEX idx_policies_agent_version ON ${policies}(agent_id, policy_version DESC)`,
      ],
    },
    {
      creates: 'the system org',
      done: `EXISTS (SELECT 1 FROM ${orgs} WHERE id = ${system})`,
      reads: name('orgs'),
      apply: [`INSERT INTO ${orgs} (id, name) VALUES (${system}, 'system (reserved)')`],
    },
    {
      // As upstream's 0006: existing rows belong to their agent's org, and to
      // the system org only when the agent has none.
      creates: 'policies.org_id',
      done: column('policies', 'org_id'),
      apply: [
        `ALTER TABLE ${policies} ADD COLUMN org_id UUID`,
        `UPDATE ${policies} p SET org_id = a.org_id FROM ${agents} a
         WHERE p.agent_id = a.id AND a.org_id IS NOT NULL`,
        `UPDATE ${policies} SET org_id = ${system} WHERE org_id IS NULL`,
        `ALTER TABLE ${policies} ALTER COLUMN org_id SET DEFAULT ${system}`,
        `ALTER TABLE ${policies} ALTER COLUMN org_id SET NOT NULL`,
        `ALTER TABLE ${policies} ADD CONSTRAINT policies_org_id_fkey FOREIGN KEY (org_id) REFERENCES ${orgs}(id)`,
      ],
    },
    {
      creates: 'idx_policies_org_agent_version',
      done: relation('idx_policies_org_agent_version'),
      apply: [
        `CREATE INDEX idx_policies_org_agent_version ON ${policies}(org_id, agent_id, policy_version DESC)`,
      ],
    },
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
 * Every step is skipped when the catalog shows its object exists, so on a
 * database upstream already migrated it changes nothing and takes no lock on
 * the tables (reads go on while it runs at every deploy), and it is safe to
 * run from several processes at once (a transaction-scoped advisory lock; a
 * DDL lock it cannot get within 5 s fails it rather than stall reads). On a
 * schema with upstream's tables from before its tenant migration it adds
 * `policies.org_id` as upstream's 0006 does, each row under its agent's org.
 * A schema whose migrations upstream's own migrator keeps (`_sqlx_migrations`)
 * and has not finished is refused with `Conflict`: run upstream's migrations
 * there. It never drops anything. Upstream's other tables (audit logs,
 * credentials, users) are not created: the policy path does not touch them.
 *
 * Run it as a privileged role (the tables' owner); the store itself should
 * connect as an unprivileged one (no superuser, no `BYPASSRLS`), which needs
 * `USAGE` on the schema and `SELECT, INSERT` on `agents` and `policies`.
 *
 * @param pool - a `pg.Pool`; one client is used for the migration's transaction.
 * @throws {TypeError} (as a rejection) when `schema` is not an accepted identifier.
 * @throws {StorageError} `Conflict` for a schema upstream's migrator keeps and
 *   has not finished; `Backend` when the server fails or is unreachable.
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
    // Behind a long transaction, a DDL lock request would queue every read of
    // the table behind it: give up instead.
    await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    const pending: Step[] = [];
    for (const step of steps(schema)) {
      if (!(await isDone(client, step))) pending.push(step);
    }
    if (pending.length > 0) await refuseManagedByUpstream(client, schema, pending);
    for (const step of pending) for (const statement of step.apply) await client.query(statement);
    for (const isolation of ISOLATED) await isolate(client, schema, isolation);
    await client.query('COMMIT');
  } catch (error) {
    broken = await rollback(client);
    if (error instanceof StorageError) throw error;
    throw backendError(`migrating schema ${schema}`, error);
  } finally {
    client.release(broken);
  }
}

async function isDone(client: PoolClient, step: Step): Promise<boolean> {
  if (step.reads !== undefined) {
    const { rows } = await client.query<{ exists: boolean }>(
      `SELECT to_regclass(${step.reads}) IS NOT NULL AS exists`,
    );
    if (rows[0]?.exists !== true) return false;
  }
  const { rows } = await client.query<{ done: boolean }>(`SELECT ${step.done} AS done`);
  return rows[0]?.done === true;
}

/**
 * Refuses to touch a schema whose migrations upstream's migrator (sqlx) keeps
 * and has not finished: doing its remaining steps would make it fail on them
 * next time (its `ALTER TABLE … ADD COLUMN` has no `IF NOT EXISTS`).
 */
async function refuseManagedByUpstream(
  client: PoolClient,
  schema: string,
  pending: readonly Step[],
): Promise<void> {
  const ledger = pg.escapeLiteral(`${pg.escapeIdentifier(schema)}._sqlx_migrations`);
  const { rows } = await client.query<{ managed: boolean }>(
    `SELECT to_regclass(${ledger}) IS NOT NULL AS managed`,
  );
  if (rows[0]?.managed !== true) return;
  const missing = pending.map((step) => step.creates).join(', ');
  throw StorageError.conflict(
    `migrating schema ${schema}: upstream's migrator manages it (_sqlx_migrations) and has not ` +
      `created ${missing} yet; run upstream's migrations instead, which migrate() would make fail`,
  );
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
