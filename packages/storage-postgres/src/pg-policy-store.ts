import {
  AgentId,
  type CacheSource,
  describeValue,
  encodePolicyDocument,
  type LoadOptions,
  OrgId,
  type PolicyDocument,
  parsePolicyDocumentText,
  StorageError,
  SYSTEM_ORG_ID,
  type TenantPolicySource,
  type TenantPolicyStore,
  tenantPolicySource,
} from '@aa/core';
import type { Pool, QueryConfig } from 'pg';
import { backendError, sqlState } from './backend-error.js';
import { type PolicySql, policySql } from './policy-sql.js';
import { pooledQuery } from './pooled-query.js';
import { ScopedReadQuery } from './scoped-read-query.js';
import { type PgPolicyStoreOptions, resolveStoreOptions } from './store-options.js';
import { tenantTransaction } from './tenant-transaction.js';

const FOREIGN_KEY_VIOLATION = '23503';
// Doubling steps: 48 probes reach past any version a row can have in practice.
const MAX_VERSION_PROBES = 48;

/** Where a write goes: the tenant whose rows it creates. */
export interface PgWriteOptions {
  /**
   * The verified org to write under, never request input.
   * @default SYSTEM_ORG_ID
   */
  readonly orgId?: OrgId | undefined;
}

/**
 * A {@link TenantPolicyStore} and `CacheSource` over PostgreSQL in upstream's
 * schema (`orgs`, `agents`, `policies` with forced row-level security; see
 * {@link migrate}): one row per (agent, version), the effective policy is the
 * highest `policy_version`, and its `body` is upstream's JSON document. It
 * caches nothing; put an `L1Cache` in front of it and a
 * {@link PgInvalidationSubscriber} behind it.
 *
 * Tenants. Every read and write runs under one tenant's scope, the
 * transaction-local setting `app.tenant_id` that upstream's `tenant_isolation`
 * policies filter on, so the database itself keeps tenants apart:
 * {@link PgPolicyStore.getPolicyForTenant} reads under a verified org,
 * {@link PgPolicyStore.getPolicy} (upstream's tenant-less read) under the
 * reserved system org, and {@link PgPolicyStore.tenantSource} gives one
 * `L1Cache` keyed by `TenantAgentKey` for every tenant. Connect the pool as an
 * unprivileged role (no superuser, no `BYPASSRLS`): row-level security does not
 * bind a superuser. Reads also filter on `org_id` themselves, so even such a
 * connection never answers one tenant's read with another's row.
 *
 * Failures are rejected promises with a {@link StorageError}: `NotFound` when
 * the tenant has no row for the agent, `Serialization` (naming the agent) when
 * the newest row's body is not a valid upstream document, `Backend` with the
 * driver's error as `cause` for anything the server or the network did. An
 * aborted load rejects with the signal's reason instead (see
 * {@link PgPolicyStore.getPolicyForTenant}).
 *
 * No call hangs: the pool's `connectionTimeoutMillis` (required) bounds the
 * wait for a connection to an unreachable server or from an exhausted pool, and
 * `timeoutMs` bounds every call as a whole, which also covers a connection that
 * died silently mid-query.
 *
 * The caller owns the pool: the store has no `close()` and never ends it. Like
 * any `pg.Pool`, it needs an `'error'` listener, or an idle connection dropped
 * by the server crashes the process.
 *
 * @example
 * import pg from 'pg';
 * import { L1Cache } from '@aa/cache';
 * import { PgPolicyStore, pgUrlFromEnv } from '@aa/storage-postgres';
 *
 * const pool = new pg.Pool({ connectionString: pgUrlFromEnv(), connectionTimeoutMillis: 5_000 });
 * pool.on('error', (error) => log.warn(error, 'idle PostgreSQL connection lost'));
 * const store = new PgPolicyStore(pool, { schema: 'aa' });
 * const policies = new L1Cache(store.tenantSource(), { ttlMs: 60_000 });
 * const policy = await policies.get(TenantAgentKey.of(verifiedOrg, agentId));
 */
export class PgPolicyStore implements TenantPolicyStore, CacheSource<AgentId, PolicyDocument> {
  readonly #pool: Pool;
  readonly #schema: string;
  readonly #channel: string;
  readonly #timeoutMs: number;
  readonly #sql: PolicySql;

  /**
   * @param pool - the `pg.Pool` to query through; the caller keeps ownership.
   * @param options - see {@link PgPolicyStoreOptions}.
   * @throws {TypeError} when `pool` is not a `pg.Pool` with a
   *   `connectionTimeoutMillis` > 0, or an option is unknown or invalid.
   */
  constructor(pool: Pool, options: PgPolicyStoreOptions = {}) {
    const { schema, channel, timeoutMs } = resolveStoreOptions(pool, options);
    this.#pool = pool;
    this.#schema = schema;
    this.#channel = channel;
    this.#timeoutMs = timeoutMs;
    this.#sql = policySql(schema);
  }

  /** The schema this store reads and writes. */
  get schema(): string {
    return this.#schema;
  }

  /** The channel {@link PgPolicyStore.putPolicy} notifies. */
  get channel(): string {
    return this.#channel;
  }

  /**
   * Loads agent `key`'s policy under the system org:
   * {@link PgPolicyStore.getPolicy}, as the `CacheSource` an `L1Cache` keyed by
   * `AgentId` calls.
   */
  load(key: AgentId, options?: LoadOptions): Promise<PolicyDocument> {
    return this.getPolicy(key, options);
  }

  /**
   * Upstream's tenant-less read: agent `id`'s effective policy under the
   * reserved system org ({@link SYSTEM_ORG_ID}).
   * See {@link PgPolicyStore.getPolicyForTenant}.
   */
  getPolicy(id: AgentId, options?: LoadOptions): Promise<PolicyDocument> {
    return this.getPolicyForTenant(SYSTEM_ORG_ID, id, options);
  }

  /**
   * Agent `agentId`'s effective policy under tenant `orgId`: the body of the
   * tenant's highest `policy_version` for the agent, read in one round trip
   * with `app.tenant_id` set for that query alone, through a statement
   * prepared once per pooled connection (see the README).
   *
   * Abort semantics, as far as `pg` allows: an already-aborted signal rejects at
   * once, without touching the pool; an abort while waiting for a pooled client
   * rejects at once (the client, when it comes, goes straight back); an abort
   * while the query runs rejects at once, sends the server a protocol
   * CancelRequest for that backend and destroys the connection rather than
   * reusing it. In every case the rejection is `signal.reason` itself.
   *
   * @param orgId - the verified caller's org, never request input.
   * @throws {StorageError} `NotFound` when the tenant has no policy for the
   *   agent; `Serialization` naming the agent when the stored body is
   *   malformed; `Backend`, with the driver's error as `cause`, when the server
   *   fails, is unreachable or does not answer within `timeoutMs` (the query is
   *   then cancelled as for an abort).
   * @throws {TypeError} (as a rejection) when `orgId` or `agentId` is not a
   *   canonical id (a forged cast).
   */
  async getPolicyForTenant(
    orgId: OrgId,
    agentId: AgentId,
    options?: LoadOptions,
  ): Promise<PolicyDocument> {
    const signal = options?.signal;
    signal?.throwIfAborted();
    checkIds(orgId, agentId);
    let body: string | undefined;
    try {
      body = await this.#scopedRead(orgId, agentId, signal);
    } catch (error) {
      if (signal?.aborted && error === signal.reason) throw error;
      throw backendError(`reading the policy of agent ${agentId} in org ${orgId}`, error);
    }
    if (body === undefined) {
      throw StorageError.notFound(`no policy for agent ${agentId} in org ${orgId}`);
    }
    return parsePolicyDocumentText(body, `agent ${agentId} in org ${orgId}`);
  }

  /**
   * One round trip of the scoped read ({@link ScopedReadQuery}); run once more
   * on the same connection, within the same deadline, when it did not hold the
   * statements it was recorded to (its session was reset).
   */
  #scopedRead(
    orgId: OrgId,
    agentId: AgentId,
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    return pooledQuery(
      this.#pool,
      {
        run: (client) => {
          const query = new ScopedReadQuery(this.#sql.read, [orgId, agentId]);
          void client.query(query as unknown as QueryConfig);
          return query.result;
        },
        retry: (client, error) => {
          if (!ScopedReadQuery.isStatementStateError(error)) return false;
          ScopedReadQuery.forget(client);
          return true;
        },
      },
      this.#timeoutMs,
      signal,
    );
  }

  /**
   * A new `CacheSource<TenantAgentKey, PolicyDocument>` over
   * {@link PgPolicyStore.getPolicyForTenant}, so one bounded `L1Cache` serves
   * every tenant, plus the set of tenants it has loaded for, which
   * `tenantInvalidationSink` needs to reach an agent's entries under each.
   *
   * @example
   * const source = store.tenantSource();
   * const policies = new L1Cache(source, { ttlMs: 60_000 });
   * const sink = tenantInvalidationSink(policies, source.orgs);
   */
  tenantSource(): TenantPolicySource {
    return tenantPolicySource(this);
  }

  /**
   * Succeeds for any id and changes nothing: the store caches nothing of its
   * own. Invalidating other instances' caches is what the NOTIFY sent by
   * {@link PgPolicyStore.putPolicy} is for.
   */
  async invalidate(_id: AgentId): Promise<void> {}

  /**
   * Creates agent `id`'s `agents` row under a tenant, as upstream's agent
   * registration does (`status` `'registered'`; `org_id` null for the system
   * org), unless the agent exists already, under any tenant. A policy can only
   * be written for a registered agent.
   *
   * @returns whether the row was created.
   * @throws {TypeError} (as a rejection) when `id` or `orgId` is not a canonical id.
   * @throws {StorageError} `NotFound` naming the org when it has no `orgs` row;
   *   `Backend` as for {@link PgPolicyStore.putPolicy}.
   */
  async registerAgent(id: AgentId, options: PgWriteOptions = {}): Promise<boolean> {
    const orgId = options.orgId ?? SYSTEM_ORG_ID;
    checkIds(orgId, id);
    try {
      return await tenantTransaction(this.#pool, {
        orgId,
        setTenantSql: this.#sql.setTenant,
        action: `registering agent ${id} in org ${orgId}`,
        timeoutMs: this.#timeoutMs,
        run: async (client) => {
          const org = orgId === SYSTEM_ORG_ID ? null : orgId;
          const { rowCount } = await client.query(this.#sql.registerAgent, [id, org]);
          return rowCount === 1;
        },
      });
    } catch (error) {
      if (sqlState((error as { cause?: unknown }).cause) === FOREIGN_KEY_VIOLATION) {
        throw StorageError.notFound(`org ${orgId} has no orgs row; create it first`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Writes `document` as agent `id`'s next `policy_version` under a tenant and
   * returns that version. The body is upstream's JSON
   * (`encodePolicyDocument`); the document's own `version` is kept as given
   * (upstream numbers rows and documents separately).
   *
   * In one transaction under the tenant's scope: the agent must be registered
   * and visible to the tenant (its `agents` row, see
   * {@link PgPolicyStore.registerAgent}); a transaction-scoped advisory lock per
   * (schema, agent) serialises concurrent writers of the agent; the row is
   * inserted with `policy_version` = the tenant's highest + 1 (1 for a new
   * agent; where another tenant's row of the same agent holds that version,
   * the next free one found by doubling the step); and
   * `pg_notify(channel, id)` is queued. PostgreSQL delivers the
   * notification when, and only if, the transaction commits: a listener never
   * hears of a write it cannot read yet, and never of one that rolled back.
   * A unique violation (a writer that bypassed the lock took the version) is
   * retried in a new transaction, at most 3 attempts in all.
   *
   * @returns the new `policy_version`.
   * @throws {TypeError} (as a rejection) when `id` or `orgId` is not a canonical
   *   id, or `document` is not a valid policy document.
   * @throws {StorageError} `NotFound` naming the agent and the org when the
   *   agent has no `agents` row visible to that tenant; `Conflict` when the
   *   unique violation persists; `Backend` with the driver's error as `cause`
   *   otherwise. A `Backend` error while committing leaves the outcome unknown:
   *   read the policy back to find out.
   */
  async putPolicy(
    id: AgentId,
    document: PolicyDocument,
    options: PgWriteOptions = {},
  ): Promise<number> {
    const orgId = options.orgId ?? SYSTEM_ORG_ID;
    checkIds(orgId, id);
    const body = JSON.stringify(encodePolicyDocument(document));
    const unregistered = () =>
      StorageError.notFound(`agent ${id} has no agents row in org ${orgId}; register it first`);
    try {
      return await tenantTransaction(this.#pool, {
        orgId,
        setTenantSql: this.#sql.setTenant,
        action: `writing the policy of agent ${id} in org ${orgId}`,
        timeoutMs: this.#timeoutMs,
        run: async (client) => {
          await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
            this.#sql.lockKey,
            id,
          ]);
          const visible = await client.query(this.#sql.agentVisible, [id]);
          if (visible.rowCount === 0) throw unregistered();
          // The primary key spans tenants, but row-level security shows this
          // tenant's versions only. When a row it cannot see holds highest + 1,
          // probe highest + 2, + 4, …; when the highest it sees moved (a writer
          // that bypassed the lock committed), start again from + 1.
          let step = 1;
          let previous: string | undefined;
          for (let attempt = 0; attempt < MAX_VERSION_PROBES; attempt++) {
            const { rows } = await client.query<{
              highest: string;
              policy_version: string | null;
            }>(this.#sql.insert, [id, body, orgId, this.#channel, step]);
            const row = rows[0];
            if (row?.policy_version != null) return Number(row.policy_version);
            step = row?.highest === previous ? step * 2 : 1;
            previous = row?.highest;
          }
          throw StorageError.conflict(
            `writing the policy of agent ${id} in org ${orgId}: no free policy_version found in ${MAX_VERSION_PROBES} tries`,
          );
        },
      });
    } catch (error) {
      // The agent or org row went away between the check and the insert.
      if (sqlState((error as { cause?: unknown }).cause) === FOREIGN_KEY_VIOLATION) {
        throw unregistered();
      }
      throw error;
    }
  }
}

function checkIds(orgId: unknown, agentId: unknown): void {
  if (!OrgId.is(orgId)) {
    throw new TypeError(`Expected \`orgId\` to be a canonical OrgId, got ${describeValue(orgId)}`);
  }
  if (!AgentId.is(agentId)) {
    throw new TypeError(`Expected \`id\` to be a canonical AgentId, got ${describeValue(agentId)}`);
  }
}
