import type { Pool, PoolClient } from 'pg';
import pg from 'pg';
import { backendError } from './backend-error.js';
import { rollback } from './rollback.js';
import { checkSchemaName, DEFAULT_SCHEMA, policiesTable } from './schema-name.js';

/** Settings of {@link migrate}. */
export interface MigrateOptions {
  /**
   * The schema to create the `policies` table in; created too if missing. A
   * lowercase identifier (`[a-z_][a-z0-9_]*`, at most 48 characters, not
   * starting with `pg_`).
   *
   * @default 'public'
   */
  readonly schema?: string | undefined;
}

// Serialises concurrent migrations in one database: CREATE … IF NOT EXISTS
// alone can still fail with a unique violation on the catalogs when two
// sessions create the same object at once.
const MIGRATION_LOCK_KEY = 'aa/storage-postgres/migrate';

/**
 * Creates, if missing, the schema and the table the store reads and writes:
 *
 * ```sql
 * CREATE TABLE "<schema>".policies (
 *   agent_id       uuid        NOT NULL,
 *   policy_version bigint      NOT NULL CHECK (policy_version >= 0),
 *   body           jsonb       NOT NULL,
 *   updated_at     timestamptz NOT NULL DEFAULT now(),
 *   PRIMARY KEY (agent_id, policy_version)
 * );
 * ```
 *
 * One row per (agent, version), modelled on upstream; the effective policy is
 * the row with the highest version, found through the primary key's index.
 * Idempotent and safe to run from several processes at once (it takes a
 * transaction-scoped advisory lock); it never alters or drops anything.
 *
 * @param pool - a `pg.Pool`; one client is used for the migration's transaction.
 * @throws {TypeError} (as a rejection) when `schema` is not an accepted identifier.
 * @throws {StorageError} `Backend` when the server fails or is unreachable.
 *
 * @example
 * await migrate(pool, { schema: 'policies_eu' });
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
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${policiesTable(schema)} (
        agent_id uuid NOT NULL,
        policy_version bigint NOT NULL CHECK (policy_version >= 0),
        body jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agent_id, policy_version)
      )`,
    );
    await client.query('COMMIT');
  } catch (error) {
    broken = await rollback(client);
    throw backendError(`migrating schema ${schema}`, error);
  } finally {
    client.release(broken);
  }
}
