import { AgentId, systemScheduler } from '@aa/core';
import { INVALIDATION_ERROR_CODES, InvalidationError, withDeadline } from '@aa/invalidation';
import { Redis } from 'ioredis';
import { endConnection } from './connection-end.js';
import { encodeInvalidationEvent, type InvalidationEvent } from './invalidation-event.js';
import {
  type RedisInvalidationPublisherOptions,
  type ResolvedPublisherOptions,
  resolvePublisherOptions,
} from './publisher-options.js';

/**
 * Announces policy changes to every instance: each call appends one entry to a
 * Redis stream trimmed to `maxLen`, which every {@link RedisInvalidationSubscriber}
 * on the same key reads, in order.
 *
 * Publish after the change is committed to the source of truth. A subscriber
 * that applies the entry drops its copy, and its next read must find the new
 * value; published before the commit, that read could reload the old one.
 *
 * Redis assigns the entry ids, so events from any number of publishers form one
 * total order. Every publish has a deadline (`timeoutMs`). A rejected publish
 * (an `InvalidationError` `Unconfirmed`) means the change was committed but may
 * not have been announced: other instances may keep their copy until it
 * expires. Retry, or fall back to {@link RedisInvalidationPublisher.publishAll}.
 *
 * @example
 * const publisher = new RedisInvalidationPublisher({ key: 'aa:invalidation' });
 * await store.putPolicy(agentId, policy);
 * await publisher.publish(agentId);
 * // …
 * await publisher.close();
 */
export class RedisInvalidationPublisher implements AsyncDisposable {
  readonly #options: ResolvedPublisherOptions;
  /** The shared client, or `undefined` when the publisher owns its connection. */
  readonly #sharedClient: Redis | undefined;
  /** The connection the publisher opened, replaced once it has ended. */
  #ownConnection: Redis | undefined;
  /** Connections given up after a failed publish, until they have ended. */
  readonly #abandoned = new Set<Promise<void>>();
  readonly #trimArgs: readonly (string | number)[];
  #closed = false;

  /**
   * Opens nothing yet: the first publish connects.
   * @param options - see {@link RedisInvalidationPublisherOptions}.
   * @throws {TypeError} when an option is invalid.
   */
  constructor(options?: RedisInvalidationPublisherOptions) {
    this.#options = resolvePublisherOptions(options);
    const { client, maxLen, trimming } = this.#options;
    this.#sharedClient = client;
    this.#trimArgs = ['MAXLEN', trimming === 'approximate' ? '~' : '=', maxLen];
  }

  /** The stream's key. */
  get key(): string {
    return this.#options.key;
  }

  /**
   * Announces that agent `agentId`'s policy changed: subscribers invalidate it
   * in their sinks.
   *
   * @returns the new entry's id (`'<ms>-<seq>'`); compare ids with
   *   `compareStreamIds` (to wait for a subscriber to catch up, for example).
   * @throws {InvalidIdError} (as a rejection) when `agentId` is not UUID text.
   * @throws {InvalidationError} `Unconfirmed` (as a rejection), with the driver's
   *   error or the deadline's as `cause`, when Redis cannot be reached, refuses
   *   the append, does not confirm it within `timeoutMs`, or fewer than
   *   `waitForReplicas` replicas acknowledged it.
   * @throws {InvalidationError} `Closed` after {@link close}.
   */
  async publish(agentId: AgentId): Promise<string> {
    return this.#append({ kind: 'invalidate', agentId: AgentId.parse(agentId) });
  }

  /**
   * Announces that any policy may have changed (a bulk import, a restore):
   * subscribers clear their sinks.
   *
   * @returns the new entry's id. Rejects as {@link publish} does.
   */
  async publishAll(): Promise<string> {
    return this.#append({ kind: 'clear' });
  }

  /**
   * Closes the connection the publisher opened (a shared `client` is left
   * open), and resolves once it, and any it gave up after a failed publish,
   * has ended: no socket or timer of the publisher is left. Later publishes
   * reject. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const own = this.#ownConnection;
    await Promise.all([
      own === undefined ? undefined : endConnection(own, true),
      ...this.#abandoned,
    ]);
  }

  /** {@link close}, for `await using publisher = new RedisInvalidationPublisher()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #append(event: InvalidationEvent): Promise<string> {
    if (this.#closed) {
      throw new InvalidationError(
        INVALIDATION_ERROR_CODES.Closed,
        `RedisInvalidationPublisher for stream "${this.#options.key}" is closed`,
      );
    }
    const { key, timeoutMs } = this.#options;
    const connection = this.#connection();
    try {
      return await withDeadline(
        this.#appendOn(connection, event),
        timeoutMs,
        `appending to Redis stream "${key}"`,
        systemScheduler,
      );
    } catch (error) {
      // A connection that failed or went silent is dropped (its queued commands
      // with it); the next publish opens a fresh one. A shared client is the
      // application's to manage.
      if (connection === this.#ownConnection) {
        this.#ownConnection = undefined;
        // Ended in the background, but close() waits for it: a silent peer
        // never answers the FIN, so the socket lingers until disconnectTimeout.
        const ended = endConnection(connection, false);
        this.#abandoned.add(ended);
        void ended.then(() => this.#abandoned.delete(ended));
      }
      throw new InvalidationError(
        INVALIDATION_ERROR_CODES.Unconfirmed,
        `publishing ${event.kind === 'invalidate' ? `invalidate(${event.agentId})` : 'clear'} to Redis stream "${key}" was not confirmed: ${error instanceof Error ? error.message : String(error)}; other instances may keep their copy until it expires`,
        { cause: error },
      );
    }
  }

  /** `XADD`, then `WAIT` when replicas must acknowledge; resolves with the entry id. */
  async #appendOn(connection: Redis, event: InvalidationEvent): Promise<string> {
    const { key, waitForReplicas, replicaTimeoutMs } = this.#options;
    const id = await connection.xadd(
      key,
      ...this.#trimArgs,
      '*',
      ...encodeInvalidationEvent(event),
    );
    if (typeof id !== 'string') throw new Error('Redis returned no entry id');
    if (waitForReplicas > 0) {
      const acknowledged = await connection.wait(waitForReplicas, replicaTimeoutMs);
      if (acknowledged < waitForReplicas) {
        throw new Error(
          `entry ${id} reached ${acknowledged} of ${waitForReplicas} replicas within ${replicaTimeoutMs} ms; a failover now could lose it`,
        );
      }
    }
    return id;
  }

  /**
   * The shared client, or the publisher's own connection, opened anew when the
   * previous one has ended. ioredis's reconnection is off for it: while Redis is
   * down, each publish makes one connection attempt and rejects when it fails,
   * rather than waiting through a retry schedule.
   */
  #connection(): Redis {
    if (this.#sharedClient !== undefined) return this.#sharedClient;
    if (this.#ownConnection === undefined || this.#ownConnection.status === 'end') {
      const { url, redisOptions, timeoutMs } = this.#options;
      const connection = new Redis(url, {
        connectTimeout: timeoutMs,
        ...redisOptions,
        keyPrefix: '',
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: null,
        // A socket that does not close within this after `disconnect()` (a dead
        // peer never answers the FIN) is destroyed, so close() is not held up.
        disconnectTimeout: 250,
      });
      // Failures reach callers as rejected publishes; without a listener,
      // ioredis would also print them to the console.
      connection.on('error', () => {});
      this.#ownConnection = connection;
    }
    return this.#ownConnection;
  }
}
