import {
  AgentId,
  type CacheSource,
  describeValue,
  isStorageError,
  type LoadOptions,
  type PolicyDocument,
  type PolicyStore,
  parsePolicyDocument,
  policyDocumentSchema,
  StorageError,
} from '@aa/core';
import type { Pool, PoolClient } from 'pg';
import { backendError, sqlState } from './backend-error.js';
import { MAX_VERSION, type PolicySql, policySql } from './policy-sql.js';
import { checkout, pooledQuery } from './pooled-query.js';
import { rollback } from './rollback.js';
import { type PgPolicyStoreOptions, resolveStoreOptions } from './store-options.js';

// With the advisory lock only a writer that bypasses it (a raw INSERT) can take
// the version a put computed; a few attempts absorb that, more would hide a bug.
const MAX_WRITE_ATTEMPTS = 3;
const UNIQUE_VIOLATION = '23505';
const noop = () => {};

/**
 * A {@link PolicyStore} and `CacheSource` over PostgreSQL: agent policies live in
 * `"<schema>".policies`, one row per (agent, version), and the effective policy
 * is the highest version. It caches nothing; put an `L1Cache` in front of it and
 * a {@link PgInvalidationSubscriber} behind it.
 *
 * Reads are one indexed query (`ORDER BY policy_version DESC LIMIT 1` on the
 * primary key), prepared once per pooled connection. Every failure is a
 * rejected promise with a {@link StorageError}: `NotFound` when the agent has no
 * row, `Serialization` (naming the agent) when the newest row's body is not a
 * valid policy document, `Backend` with the driver's error as `cause` for
 * anything the server or the network did. An aborted load rejects with the
 * signal's reason instead (see {@link PgPolicyStore.getPolicy}).
 *
 * No call hangs: the pool's `connectionTimeoutMillis` (required) bounds the
 * wait for a connection to an unreachable server or from an exhausted pool, and
 * `timeoutMs` bounds every call as a whole, which also covers a connection that
 * died silently mid-query.
 *
 * The caller owns the pool: the store has no `close()` and never ends it, so
 * one pool can serve several stores and the application's other queries. Like
 * any `pg.Pool`, it needs an `'error'` listener, or an idle connection dropped
 * by the server crashes the process.
 *
 * @example
 * import pg from 'pg';
 * import { L1Cache } from '@aa/cache';
 * import { migrate, PgPolicyStore, pgUrlFromEnv } from '@aa/storage-postgres';
 *
 * const pool = new pg.Pool({ connectionString: pgUrlFromEnv(), connectionTimeoutMillis: 5_000 });
 * pool.on('error', (error) => log.warn(error, 'idle PostgreSQL connection lost'));
 * await migrate(pool, { schema: 'aa' });
 * const store = new PgPolicyStore(pool, { schema: 'aa' });
 * const policies = new L1Cache(store, { ttlMs: 60_000 });
 */
export class PgPolicyStore implements PolicyStore, CacheSource<AgentId, PolicyDocument> {
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
   * Loads agent `key`'s effective policy: {@link PgPolicyStore.getPolicy}, as
   * the `CacheSource` an `L1Cache` calls.
   */
  load(key: AgentId, options?: LoadOptions): Promise<PolicyDocument> {
    return this.getPolicy(key, options);
  }

  /**
   * The effective policy of agent `id`: the body of its highest version.
   *
   * Abort semantics, as far as `pg` allows: an already-aborted signal rejects at
   * once, without touching the pool; an abort while waiting for a pooled client
   * rejects at once (the client, when it comes, goes straight back); an abort
   * while the query runs rejects at once, sends the server a protocol
   * CancelRequest for that backend and destroys the connection rather than
   * reusing it. In every case the rejection is `signal.reason` itself.
   *
   * @throws {StorageError} `NotFound` when the agent has no policy;
   *   `Serialization` naming the agent when the stored body is malformed;
   *   `Backend`, with the driver's error as `cause`, when the server fails, is
   *   unreachable or does not answer within `timeoutMs` (the query is then
   *   cancelled as for an abort).
   * @throws {TypeError} when `id` is not a canonical `AgentId` (a forged cast).
   */
  async getPolicy(id: AgentId, options?: LoadOptions): Promise<PolicyDocument> {
    const signal = options?.signal;
    signal?.throwIfAborted();
    checkAgentId(id);
    let rows: { body: unknown }[];
    try {
      ({ rows } = await pooledQuery<{ body: unknown }>(
        this.#pool,
        { name: this.#sql.readName, text: this.#sql.read, values: [id] },
        this.#timeoutMs,
        signal,
      ));
    } catch (error) {
      if (signal?.aborted && error === signal.reason) throw error;
      throw backendError(`reading the policy of agent ${id}`, error);
    }
    const row = rows[0];
    if (row === undefined) throw StorageError.notFound(`no policy for agent ${id}`);
    return parsePolicyDocument(row.body, `agent ${id}`);
  }

  /**
   * Succeeds for any id and changes nothing: the store caches nothing of its
   * own. Invalidating other instances' caches is what the NOTIFY sent by
   * {@link PgPolicyStore.putPolicy} is for.
   */
  async invalidate(_id: AgentId): Promise<void> {}

  /**
   * Writes `document` as agent `id`'s next version and returns that version.
   *
   * In one transaction: a transaction-scoped advisory lock per (schema, agent)
   * serialises concurrent writers of the agent; the row is inserted with
   * `policy_version` = highest + 1 (1 for a new agent), its body being
   * `document` with `version` set to that number, so a reader's
   * `policy.version` is always its row's version; and `pg_notify(channel, id)`
   * is queued. PostgreSQL delivers the notification when, and only if, the
   * transaction commits: a listener never hears of a write it cannot read yet,
   * and never of one that rolled back.
   *
   * A unique violation (a writer that bypassed the lock took the version) is
   * retried in a new transaction, at most 3 attempts in all.
   *
   * @returns the new version.
   * @throws {TypeError} when `id` is not a canonical `AgentId` or `document` is
   *   not a valid policy document (its `version` is replaced, but must still be
   *   valid).
   * @throws {StorageError} `Conflict` when the unique violation persists or the
   *   agent has used every version up to 4294967295; `Backend` with the driver's
   *   error as `cause` otherwise. A `Backend` error while committing leaves the
   *   outcome unknown: read the policy back to find out.
   */
  async putPolicy(id: AgentId, document: PolicyDocument): Promise<number> {
    checkAgentId(id);
    const parsed = policyDocumentSchema.safeParse(document);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => issue.message).join('; ');
      throw new TypeError(
        `Expected \`document\` to be a valid policy document (${issues}), got ${describeValue(document)}`,
        { cause: parsed.error },
      );
    }
    const body = JSON.stringify(parsed.data);
    const action = `writing the policy of agent ${id}`;
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new Error(`no answer within ${this.#timeoutMs} ms`)),
      this.#timeoutMs,
    );
    timer.unref();
    let client: PoolClient;
    try {
      client = await checkout(this.#pool, deadline.signal);
    } catch (error) {
      clearTimeout(timer);
      throw backendError(action, error);
    }
    // Past the deadline the connection is cut: every statement in flight fails
    // with the deadline's error and the client is destroyed below.
    const cut = () => client.connection.stream.destroy(deadline.signal.reason);
    deadline.signal.addEventListener('abort', cut, { once: true });
    client.on('error', noop);
    let broken: Error | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.#insertNextVersion(client, id, body);
        } catch (error) {
          // A server error leaves the connection usable once rolled back; a
          // connection failure (no SQLSTATE) leaves nothing to roll back.
          broken =
            isStorageError(error) || sqlState(error) !== undefined
              ? await rollback(client)
              : asError(error);
          if (isStorageError(error)) throw error;
          if (broken !== undefined || sqlState(error) !== UNIQUE_VIOLATION) {
            throw backendError(action, error);
          }
          if (attempt === MAX_WRITE_ATTEMPTS) {
            throw StorageError.conflict(
              `${action}: its next version was taken by another writer ${attempt} times in a row`,
              { cause: error },
            );
          }
        }
      }
    } finally {
      clearTimeout(timer);
      deadline.signal.removeEventListener('abort', cut);
      if (broken === undefined) client.off('error', noop);
      client.release(broken);
    }
  }

  async #insertNextVersion(client: PoolClient, id: AgentId, body: string): Promise<number> {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
      this.#sql.lockKey,
      id,
    ]);
    const { rows } = await client.query<{ policy_version: string }>(this.#sql.insert, [
      id,
      body,
      this.#channel,
    ]);
    const row = rows[0];
    if (row === undefined) {
      throw StorageError.conflict(`agent ${id} has used every policy version up to ${MAX_VERSION}`);
    }
    await client.query('COMMIT');
    return Number(row.policy_version);
  }
}

function checkAgentId(id: unknown): void {
  if (!AgentId.is(id)) {
    throw new TypeError(`Expected \`id\` to be a canonical AgentId, got ${describeValue(id)}`);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
