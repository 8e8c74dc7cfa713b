import { policiesTable } from './schema-name.js';

/** The highest version a policy document can carry (an unsigned 32-bit integer). */
export const MAX_VERSION = 0xffff_ffff;

/** The statements a `PgPolicyStore` runs against one schema, built once. */
export interface PolicySql {
  /**
   * Name of the prepared read, unique per schema: `pg` prepares a named
   * statement once per connection and reuses the plan.
   */
  readonly readName: string;
  /** `$1` agent id → the body of its highest version, through the primary key. */
  readonly read: string;
  /** Text hashed, with the agent id, into the per-agent advisory lock of a write. */
  readonly lockKey: string;
  /**
   * `$1` agent id, `$2` body, `$3` channel → the new `policy_version` (as text),
   * or no row when the agent has used every version.
   */
  readonly insert: string;
}

/** The statements for the policies table of `schema` (already checked). */
export function policySql(schema: string): PolicySql {
  const table = policiesTable(schema);
  return Object.freeze({
    readName: `aa-read-policy:${schema}`,
    read: `SELECT body FROM ${table} WHERE agent_id = $1 ORDER BY policy_version DESC LIMIT 1`,
    lockKey: `aa/storage-postgres/put:${schema}`,
    // Computes max + 1 and stamps it into the body in one statement, run under
    // the per-agent advisory lock taken just before it (a statement of its own,
    // so this one's snapshot sees every version committed by earlier writers).
    // pg_notify() queues the notification with the transaction: PostgreSQL
    // sends it at COMMIT, and never if the transaction rolls back.
    insert: `WITH next AS (
        SELECT coalesce(max(policy_version), 0) + 1 AS policy_version
        FROM ${table} WHERE agent_id = $1::uuid
      ), inserted AS (
        INSERT INTO ${table} (agent_id, policy_version, body)
        SELECT $1::uuid, next.policy_version,
               jsonb_set($2::jsonb, '{version}', to_jsonb(next.policy_version))
        FROM next WHERE next.policy_version <= ${MAX_VERSION}
        RETURNING policy_version
      )
      SELECT policy_version::text AS policy_version, pg_notify($3, $1::uuid::text) FROM inserted`,
  });
}
