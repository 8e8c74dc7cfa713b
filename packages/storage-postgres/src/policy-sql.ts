import { qualified } from './schema-name.js';

/**
 * `$1` org id → sets `app.tenant_id` for the rest of the open transaction: the
 * one way every read and write scopes itself to a tenant. Named (prepared once
 * per connection) for the single-round-trip read; a write runs its text.
 */
export const SET_TENANT = Object.freeze({
  name: 'aa_set_tenant',
  text: `SELECT set_config('app.tenant_id', $1, true)`,
});

/** The statements a `PgPolicyStore` runs against one schema, built once. */
export interface PolicySql {
  /**
   * The read of an agent's newest body under a tenant, as a named statement
   * (unique per schema, prepared once per connection): `$1` org id, `$2` agent
   * id. It runs after the tenant is set, in the same implicit transaction (see
   * `ScopedReadQuery`). The explicit `org_id` predicate is what lets the
   * planner use upstream's (org_id, agent_id, policy_version DESC) index, and
   * keeps a read tenant-correct even on a connection that bypasses row-level
   * security.
   */
  readonly read: { readonly name: string; readonly text: string };
  /** {@link SET_TENANT}'s text. */
  readonly setTenant: string;
  /** Text hashed, with the agent id, into the per-agent advisory lock of a write. */
  readonly lockKey: string;
  /** `$1` agent id → a row when the agent exists under the tenant in force. */
  readonly agentVisible: string;
  /**
   * `$1` agent id, `$2` body, `$3` org id, `$4` channel, `$5` step → one row:
   * `highest`, the tenant's highest version, and `policy_version`, the new
   * version (highest + `$5`), or null when a row the tenant cannot see (the
   * primary key spans tenants) holds it. Both as text. A new row notifies `$4`
   * with the agent id at commit.
   */
  readonly insert: string;
  /** `$1` agent id, `$2` org id or null → a row when the agent was created. */
  readonly registerAgent: string;
}

/** The statements for the tables of `schema` (already checked). */
export function policySql(schema: string): PolicySql {
  const agents = qualified(schema, 'agents');
  const policies = qualified(schema, 'policies');
  return Object.freeze({
    read: Object.freeze({
      name: `aa_read_policy:${schema}`,
      text: `SELECT body FROM ${policies} WHERE org_id = $1 AND agent_id = $2
        ORDER BY policy_version DESC LIMIT 1`,
    }),
    setTenant: SET_TENANT.text,
    lockKey: `aa/storage-postgres/put:${schema}`,
    agentVisible: `SELECT 1 FROM ${agents} WHERE id = $1`,
    // Computes max + 1 under the per-agent advisory lock taken just before (a
    // statement of its own, so this one's snapshot sees every version
    // committed by earlier writers). pg_notify() queues the notification with
    // the transaction: PostgreSQL sends it at COMMIT, never on a rollback.
    insert: `WITH highest AS (
        SELECT coalesce(max(policy_version), 0) AS version FROM ${policies} WHERE agent_id = $1
      ), inserted AS (
        INSERT INTO ${policies} (agent_id, policy_version, body, org_id)
        SELECT $1, highest.version + $5::bigint, $2::jsonb, $3::uuid FROM highest
        ON CONFLICT (agent_id, policy_version) DO NOTHING
        RETURNING policy_version
      )
      SELECT highest.version::text AS highest, inserted.policy_version::text AS policy_version,
             CASE WHEN inserted.policy_version IS NOT NULL THEN pg_notify($4, $1) END AS notified
      FROM highest LEFT JOIN inserted ON true`,
    registerAgent: `INSERT INTO ${agents} (id, org_id) VALUES ($1, $2::uuid)
      ON CONFLICT (id) DO NOTHING RETURNING id`,
  });
}
