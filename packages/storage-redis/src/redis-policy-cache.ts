import { randomUUID } from 'node:crypto';
import {
  AgentId,
  describeValue,
  encodePolicyDocument,
  InvalidIdError,
  OrgId,
  type PolicyDocument,
  parsePolicyDocumentText,
  StorageError,
  SYSTEM_ORG_ID,
} from '@aa/core';
import { Redis } from 'ioredis';
import { FILL, INVALIDATE, READ, runScript } from './l2-scripts.js';
import { GLOBAL_GENERATION_KEY, POLICY_KEY_PREFIX, policyKeys } from './policy-keys.js';
import {
  type RedisPolicyCacheOptions,
  type ResolvedCacheOptions,
  resolveCacheOptions,
} from './redis-policy-cache-options.js';

/**
 * What a read of the L2 found. A miss (and a malformed value, which is one)
 * carries the generation that a fill of what the origin answers must present.
 */
export type L2Read =
  | { readonly kind: 'hit'; readonly document: PolicyDocument }
  | { readonly kind: 'miss'; readonly generation: L2Generation }
  | { readonly kind: 'malformed'; readonly generation: L2Generation; readonly error: StorageError };

/** The agent's and the cache's generations a miss saw, opaque to callers. */
export interface L2Generation {
  readonly agent: string;
  readonly global: string;
}

const CLEAR_BATCH = 500;
// ioredis statuses of a first connection still being opened.
const CONNECTING: ReadonlySet<string> = new Set(['wait', 'connecting', 'connect']);

/**
 * A shared L2 of policy documents in Redis, in upstream's layout, so Rust and
 * TypeScript instances read and fill the same entries: the system org's
 * document of an agent at `aa:policy:<agent as 32 hex digits>`, a tenant's at
 * `aa:policy:<org>:<agent>` (the form upstream plans), the value upstream's
 * JSON (`encodePolicyDocument`), written with `SET … EX ttlSeconds`.
 *
 * No stale fill. Each agent has a generation (`aa:policy-generation:<agent>`,
 * a key upstream's readers never look at), and the cache one
 * (`aa:policy-generation`): {@link RedisPolicyCache.invalidate} and
 * {@link RedisPolicyCache.clear} advance them, and a fill lands only if the
 * generations its read saw are still current, checked and written in one Lua
 * script. So a document read from the origin before an invalidation can never
 * be stored after it, whatever the interleaving of instances.
 *
 * Every call is bounded by `timeoutMs`: a Redis that is down, refuses or goes
 * silent fails the call with a `Backend` `StorageError`, never a hang. It
 * needs a single Redis (or a Sentinel-managed primary): an invalidation touches
 * keys of several tenants in one script, which Redis Cluster would refuse.
 *
 * @example
 * const l2 = new RedisPolicyCache({ url: 'redis://cache.internal:6379' });
 * const source = new TieredPolicySource({ l2, origin: pgStore });
 */
export class RedisPolicyCache {
  readonly #options: ResolvedCacheOptions;
  readonly #client: Redis;
  readonly #ownsClient: boolean;
  #closed = false;
  /** The wait for the connection being opened, shared by every call made meanwhile. */
  #opening: Promise<boolean> | undefined;

  /**
   * Connects at once when it owns the connection (`url`). A call made while
   * that first connection is being opened waits for it within its deadline; a
   * call made while a lost connection is being reopened fails at once rather
   * than queue (a tiered read then falls through to its origin). Await
   * {@link RedisPolicyCache.connect} to know the L2 is in use.
   * @throws {TypeError} when an option is invalid.
   */
  constructor(options?: RedisPolicyCacheOptions) {
    this.#options = resolveCacheOptions(options);
    const { client, url, timeoutMs } = this.#options;
    this.#ownsClient = client === undefined;
    this.#client =
      client ??
      new Redis(url, {
        enableOfflineQueue: false,
        commandTimeout: timeoutMs,
        connectTimeout: Math.max(timeoutMs, 1_000),
        maxRetriesPerRequest: 0,
        retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
      });
    // Connection errors surface as failed calls; unheard, they would crash the process.
    if (this.#ownsClient) this.#client.on('error', () => {});
  }

  /**
   * Resolves once the connection is ready for commands.
   * @param timeoutMs - how long to wait.
   * @default timeoutMs 5_000
   * @throws {StorageError} `Backend` (as a rejection) when it is not ready in time.
   */
  async connect(timeoutMs = 5_000): Promise<void> {
    if (this.#closed) throw closedError('connecting');
    if (this.#client.status === 'ready') return;
    // An explicit wait: its timer keeps the process alive, unlike a call's.
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const ready = await Promise.race([this.#whenOpen(), expired]);
    clearTimeout(timer);
    if (!ready) {
      throw StorageError.backend(`connecting the Redis L2: not ready within ${timeoutMs} ms`);
    }
  }

  /** How long a filled document lives, in seconds. */
  get ttlSeconds(): number {
    return this.#options.ttlSeconds;
  }

  /**
   * Reads agent `agentId`'s document under tenant `orgId` (the system org's at
   * upstream's key, a tenant's at its own), with the generations a fill needs.
   * A value that is not a valid upstream document is `malformed`: a miss, whose
   * fill overwrites it.
   * @throws {StorageError} `Backend` (as a rejection) when Redis fails or does
   *   not answer within `timeoutMs`; `InvalidIdError` (a `TypeError`) for a
   *   non-canonical id.
   */
  async read(orgId: OrgId, agentId: AgentId): Promise<L2Read> {
    checkIds(orgId, agentId);
    const keys = policyKeys(orgId, agentId);
    const [value, agent, global, wrongType] = (await this.#call('reading', () =>
      runScript(this.#client, READ, [
        keys.value,
        keys.agentGeneration,
        GLOBAL_GENERATION_KEY,
        randomUUID(),
        this.#options.generationTtlSeconds,
      ]),
    )) as [string | null, string, string, string];
    const generation = { agent, global };
    if (wrongType === '1') {
      const error = StorageError.serialization(`L2 key ${keys.value} holds no string`);
      return { kind: 'malformed', generation, error };
    }
    if (value === null) return { kind: 'miss', generation };
    try {
      return { kind: 'hit', document: parsePolicyDocumentText(value, `L2 key ${keys.value}`) };
    } catch (error) {
      return { kind: 'malformed', generation, error: error as StorageError };
    }
  }

  /**
   * Stores `document` as agent `agentId`'s under tenant `orgId`, unless the
   * agent or the cache was invalidated since the read that returned
   * `generation`.
   * @returns whether it was stored.
   * @throws {StorageError} `Backend` (as a rejection) as {@link RedisPolicyCache.read}.
   */
  async fill(
    orgId: OrgId,
    agentId: AgentId,
    document: PolicyDocument,
    generation: L2Generation,
  ): Promise<boolean> {
    checkIds(orgId, agentId);
    const keys = policyKeys(orgId, agentId);
    const body = JSON.stringify(encodePolicyDocument(document));
    const stored = await this.#call('filling', () =>
      runScript(this.#client, FILL, [
        keys.value,
        keys.agentGeneration,
        GLOBAL_GENERATION_KEY,
        keys.agentTenants,
        generation.agent,
        generation.global,
        body,
        this.#options.ttlSeconds,
        orgId === SYSTEM_ORG_ID ? '0' : '1',
      ]),
    );
    return stored === 1;
  }

  /**
   * Drops agent `agentId`'s document under every tenant, upstream's key
   * included, and advances its generation, in one step: no fill that read
   * before this call lands after it. An `InvalidationSink<AgentId>` method, so a
   * transport can drive the L2 too.
   * @throws {StorageError} `Backend` (as a rejection) as {@link RedisPolicyCache.read}.
   */
  async invalidate(agentId: AgentId): Promise<void> {
    checkAgentId(agentId);
    const keys = policyKeys(SYSTEM_ORG_ID, agentId);
    await this.#call('invalidating', () =>
      runScript(this.#client, INVALIDATE, [
        keys.value,
        keys.agentGeneration,
        keys.agentTenants,
        randomUUID(),
        this.#options.generationTtlSeconds,
      ]),
    );
  }

  /**
   * Drops every policy document: advances the cache's generation first (so no
   * fill in flight lands), then deletes `aa:policy:*` in batches. What an empty
   * invalidation asks for; slow on a large Redis, and rare.
   * @throws {StorageError} `Backend` (as a rejection) as {@link RedisPolicyCache.read},
   *   per batch.
   */
  async clear(): Promise<void> {
    await this.#call('clearing', () => this.#client.set(GLOBAL_GENERATION_KEY, randomUUID()));
    let cursor = '0';
    do {
      const [next, keys] = await this.#call('clearing', () =>
        this.#client.scan(cursor, 'MATCH', `${POLICY_KEY_PREFIX}*`, 'COUNT', CLEAR_BATCH),
      );
      cursor = next;
      if (keys.length > 0) await this.#call('clearing', () => this.#client.unlink(...keys));
    } while (cursor !== '0');
  }

  /**
   * Ends the connection the cache opened (a given `client` is left open); every
   * later call rejects at once. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#ownsClient || this.#client.status === 'end') return;
    await this.#client.quit().catch(() => this.#client.disconnect());
  }

  /** `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Runs one Redis call within `timeoutMs`, turning any failure into a
   * `Backend` error. A call made while the first connection is being opened
   * waits for it within the same deadline, and is not sent if it does not come.
   */
  async #call<T>(action: string, call: () => Promise<T>): Promise<T> {
    if (this.#closed) throw closedError(action);
    const { timeoutMs } = this.#options;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), timeoutMs);
      timer.unref();
    });
    let running: Promise<T> | undefined;
    try {
      if (CONNECTING.has(this.#client.status)) {
        const opened = await Promise.race([this.#whenOpen(), expired]);
        if (opened !== true) throw new Error(`Redis was not ready within ${timeoutMs} ms`);
      }
      running = call();
      const outcome = await Promise.race([running, expired]);
      if (outcome === 'expired') throw new Error(`Redis did not answer within ${timeoutMs} ms`);
      return outcome as T;
    } catch (error) {
      running?.catch(() => {});
      const message = error instanceof Error ? error.message : String(error);
      throw StorageError.backend(`${action} the Redis L2: ${message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Resolves `true` once the connection is ready, `false` if it ends first;
   * one wait (and one pair of listeners) however many calls share it. Opens a
   * lazy client's connection.
   */
  #whenOpen(): Promise<boolean> {
    const client = this.#client;
    if (client.status === 'ready') return Promise.resolve(true);
    this.#opening ??= new Promise<boolean>((resolve) => {
      const settle = (ready: boolean) => {
        client.off('ready', onReady);
        client.off('end', onEnd);
        this.#opening = undefined;
        resolve(ready);
      };
      const onReady = () => settle(true);
      const onEnd = () => settle(false);
      client.once('ready', onReady);
      client.once('end', onEnd);
      if (client.status === 'wait') client.connect().catch(() => {});
    });
    return this.#opening;
  }
}

function closedError(action: string): StorageError {
  return StorageError.backend(`${action} the Redis L2: the cache was closed`);
}

function checkIds(orgId: unknown, agentId: unknown): void {
  if (!OrgId.is(orgId)) throw notCanonical('OrgId', orgId);
  checkAgentId(agentId);
}

function checkAgentId(agentId: unknown): void {
  if (!AgentId.is(agentId)) throw notCanonical('AgentId', agentId);
}

function notCanonical(type: 'OrgId' | 'AgentId', value: unknown): InvalidIdError {
  return new InvalidIdError(type, `Expected a canonical ${type}, got ${describeValue(value)}`);
}
