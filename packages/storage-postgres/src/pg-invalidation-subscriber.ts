import { AgentId, reconnectDelay, StorageError } from '@aa/core';
import type { Client, Notification } from 'pg';
import pg from 'pg';
import { asError } from './as-error.js';
import { backendError } from './backend-error.js';
import { type Deferred, deferred } from './deferred.js';
import { endClient } from './end-client.js';
import { SubscriberClosedError } from './subscriber-closed-error.js';
import {
  type PgInvalidationSubscriberOptions,
  type ResolvedSubscriberOptions,
  resolveSubscriberOptions,
} from './subscriber-options.js';
import type { SubscriberState, SubscriberStats } from './subscriber-state.js';

const noop = () => {};

/**
 * Listens for the NOTIFY that {@link PgPolicyStore.putPolicy} sends when a write
 * commits, on a dedicated connection, and drives an `InvalidationSink`
 * (an `L1Cache`) with it: `invalidate(id)` for an agent id, `clear()` for an
 * empty payload. A malformed payload is reported to `onError` and clears the
 * sink, to be safe; it never throws.
 *
 * Reconnection. When the connection drops (the server restarts, an admin runs
 * `pg_terminate_backend`, a heartbeat goes unanswered), the subscriber reports
 * it, waits a capped, jittered exponential backoff and reconnects, for as long
 * as it takes. Notifications sent while it was disconnected are lost (LISTEN
 * has no replay), so after every successful `LISTEN`, the first included, it
 * calls `sink.clear()`: anything cached before that moment reloads, and anything
 * written after it is notified. Until then, entries cached before the drop can
 * be served for at most their TTL. `ready` tells when the current connection is
 * listening again.
 *
 * Resources. While listening it holds one connection, whose socket keeps the
 * process alive as any open connection does; its timers (backoff, heartbeat)
 * are unref'd. `close()` ends the connection and clears every timer; after it
 * the sink is never called again.
 *
 * @example
 * const cache = new L1Cache(store, { ttlMs: 60_000 });
 * const subscriber = new PgInvalidationSubscriber({
 *   connection: pgUrlFromEnv(),
 *   schema: 'aa',
 *   sink: cache,
 *   onError: (error) => log.warn(error),
 * });
 * await subscriber.start(); // LISTEN is active; putPolicy anywhere now invalidates `cache`
 * // … on shutdown
 * await subscriber.close();
 */
export class PgInvalidationSubscriber implements AsyncDisposable {
  readonly #options: ResolvedSubscriberOptions;
  readonly #listenSql: string;
  #state: SubscriberState = 'idle';
  #client: Client | undefined;
  #pid: number | undefined;
  // Bumped whenever a connection is abandoned: events of older ones are ignored.
  #generation = 0;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #ready: Deferred = deferred();
  #closed: Promise<void> | undefined;
  readonly #stats = {
    connections: 0,
    disconnections: 0,
    failedAttempts: 0,
    notifications: 0,
    invalidations: 0,
    clears: 0,
    malformed: 0,
    errors: 0,
  };

  /**
   * @param options - see {@link PgInvalidationSubscriberOptions}.
   * @throws {TypeError} when an option is missing, unknown or invalid.
   */
  constructor(options: PgInvalidationSubscriberOptions) {
    this.#options = resolveSubscriberOptions(options);
    this.#listenSql = `LISTEN ${pg.escapeIdentifier(this.#options.channel)}`;
  }

  /** The channel listened on. */
  get channel(): string {
    return this.#options.channel;
  }

  /** See {@link SubscriberState}. */
  get state(): SubscriberState {
    return this.#state;
  }

  /**
   * Settles when `LISTEN` is active on the current connection and the sink has
   * been cleared for it: already resolved while listening; a new pending promise
   * from the moment a connection drops until the next one listens; rejected with
   * a `SubscriberClosedError` if `close()` comes first.
   */
  get ready(): Promise<void> {
    return this.#ready.promise;
  }

  /**
   * The server process id of the listening connection (what
   * `pg_terminate_backend()` takes), or `undefined` while not listening.
   */
  get backendPid(): number | undefined {
    return this.#pid;
  }

  /** Counters since construction; see {@link SubscriberStats}. */
  stats(): SubscriberStats {
    return { ...this.#stats };
  }

  /**
   * Connects and issues `LISTEN`; resolves once it is active and the sink has
   * been cleared. If the server is unreachable it keeps retrying with backoff
   * (reporting each failure) and resolves when it finally listens, so bound the
   * wait yourself if start-up must not block, e.g. with a race against a timer.
   * Calling it again returns {@link ready}.
   *
   * @throws {SubscriberClosedError} (as a rejection) when `close()` was called
   *   before `LISTEN` became active, or before `start()`.
   */
  start(): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(new SubscriberClosedError());
    if (this.#state === 'idle') void this.#connect();
    return this.#ready.promise;
  }

  /**
   * Stops for good: clears the backoff and heartbeat timers, ends the connection
   * (destroying its socket if the server does not answer within a second), and
   * rejects a pending `ready` with a `SubscriberClosedError`. Once it has been
   * called the sink is never called again; once it resolves no socket or timer
   * of the subscriber is left. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  /** {@link close}, for `await using subscriber = new PgInvalidationSubscriber(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.#generation++;
    this.#state = 'closed';
    clearTimeout(this.#retryTimer);
    clearInterval(this.#heartbeatTimer);
    this.#retryTimer = undefined;
    this.#heartbeatTimer = undefined;
    this.#ready.reject(new SubscriberClosedError());
    const client = this.#client;
    this.#client = undefined;
    this.#pid = undefined;
    if (client !== undefined) await endClient(client);
  }

  async #connect(): Promise<void> {
    const generation = ++this.#generation;
    this.#state = 'connecting';
    const client = new pg.Client(this.#options.clientConfig);
    this.#client = client;
    // Stays attached for the client's whole life: pg emits socket errors on the
    // client, and an 'error' event without a listener would crash the process.
    client.on('error', (error) => this.#lost(generation, error));
    client.on('end', () => this.#lost(generation, new Error('Connection terminated')));
    client.on('notification', (message) => this.#notified(generation, message));
    try {
      await client.connect();
      await this.#bounded(client.query(this.#listenSql), 'LISTEN');
    } catch (error) {
      this.#lost(generation, error);
      return;
    }
    if (generation !== this.#generation) return;
    this.#pid = backendPidOf(client);
    this.#failures = 0;
    this.#stats.connections++;
    // Whatever was published while no LISTEN was active is lost: drop it all.
    // Done after LISTEN, so a write committed after this clear is notified.
    this.#clearSink();
    this.#state = 'listening';
    this.#ready.resolve();
    this.#startHeartbeat(generation, client);
  }

  /** The current connection (or attempt) `generation` failed with `error`. */
  #lost(generation: number, error: unknown): void {
    if (generation !== this.#generation || this.#state === 'closed') return;
    this.#generation++;
    const wasListening = this.#state === 'listening';
    clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    if (wasListening) {
      this.#stats.disconnections++;
      this.#ready = deferred();
    } else {
      this.#stats.failedAttempts++;
    }
    this.#report(
      backendError(
        wasListening
          ? `invalidation listener on ${this.#options.channel} lost its connection`
          : `connecting the invalidation listener on ${this.#options.channel}`,
        error,
      ),
    );
    const client = this.#client;
    this.#client = undefined;
    this.#pid = undefined;
    if (client !== undefined) void endClient(client);

    const { reconnectDelayMs, maxReconnectDelayMs, random } = this.#options;
    const delay = reconnectDelay(
      this.#failures++,
      { minDelayMs: reconnectDelayMs, maxDelayMs: maxReconnectDelayMs },
      random,
    );
    this.#state = 'backoff';
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connect();
    }, delay);
    this.#retryTimer.unref();
  }

  #notified(generation: number, message: Notification): void {
    if (generation !== this.#generation || this.#state === 'closed') return;
    if (message.channel !== this.#options.channel) return;
    this.#stats.notifications++;
    const payload = message.payload ?? '';
    if (payload === '') {
      this.#clearSink();
      return;
    }
    let id: AgentId;
    try {
      id = AgentId.parse(payload);
    } catch (error) {
      this.#stats.malformed++;
      this.#report(
        StorageError.serialization(
          `malformed invalidation payload on ${this.#options.channel}: expected an agent id or nothing, got ${JSON.stringify(payload.slice(0, 100))}; cleared the sink instead`,
          { cause: error },
        ),
      );
      this.#clearSink();
      return;
    }
    this.#stats.invalidations++;
    try {
      this.#options.sink.invalidate(id);
    } catch (error) {
      this.#report(asError(error));
    }
  }

  #clearSink(): void {
    this.#stats.clears++;
    try {
      this.#options.sink.clear();
    } catch (error) {
      this.#report(asError(error));
    }
  }

  #startHeartbeat(generation: number, client: Client): void {
    const { heartbeatIntervalMs } = this.#options;
    if (heartbeatIntervalMs === 0) return;
    let pending = false;
    this.#heartbeatTimer = setInterval(() => {
      if (pending) return;
      pending = true;
      this.#bounded(client.query('SELECT 1'), 'heartbeat').then(
        () => {
          pending = false;
        },
        (error: unknown) => this.#lost(generation, error),
      );
    }, heartbeatIntervalMs);
    this.#heartbeatTimer.unref();
  }

  /** `query`, rejected if it has not answered within `connectTimeoutMs`. */
  #bounded<T>(query: Promise<T>, what: string): Promise<T> {
    const timeoutMs = this.#options.connectTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} got no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      timer.unref();
    });
    // Settles later when the connection is torn down; no one awaits it then.
    query.catch(noop);
    return Promise.race([query, timeout]).finally(() => clearTimeout(timer));
  }

  #report(error: Error): void {
    this.#stats.errors++;
    const { onError } = this.#options;
    if (onError === undefined) return;
    try {
      onError(error);
    } catch {
      // A failing error handler must not take the listener down with it.
    }
  }
}

function backendPidOf(client: Client): number | undefined {
  // pg keeps the BackendKeyData on the client without typing it.
  const pid = (client as unknown as { processID?: unknown }).processID;
  return typeof pid === 'number' ? pid : undefined;
}
