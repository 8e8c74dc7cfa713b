import { asError, reconnectDelay } from '@aa/core';
import { CLEAR_CAUSES } from './clear-causes.js';
import { sleep, withDeadline } from './deadline.js';
import { channels } from './diagnostics.js';
import { INVALIDATION_ERROR_CODES, InvalidationError } from './invalidation-error.js';
import { SinkFanout } from './sink-fanout.js';
import type { ResolvedSubscriberOptions } from './subscriber-options.js';
import { type SubscriberStats, SubscriberStatsCounter } from './subscriber-stats.js';
import type {
  Continuity,
  InvalidationTransport,
  TransportConnection,
  TransportEvent,
} from './transport.js';

/**
 * Where a subscriber is: `'connecting'` (an attempt is under way),
 * `'connected'` (subscribed: every event from now on is applied), `'backoff'`
 * (waiting to retry after a failure), `'closed'`.
 */
export type SubscriberState = 'connecting' | 'connected' | 'backoff' | 'closed';

/** A promise with its settle functions, marked handled so no one has to wait on it. */
interface Deferred {
  readonly promise: Promise<void>;
  readonly settled: boolean;
  resolve(): void;
  reject(error: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  promise.catch(() => {});
  const state = {
    promise,
    settled: false,
    resolve: () => {
      state.settled = true;
      resolve();
    },
    reject: (error: Error) => {
      state.settled = true;
      reject(error);
    },
  };
  return state;
}

/**
 * Applies the events of an {@link InvalidationTransport} to sinks (`L1Cache`s),
 * the same way for every transport: it is what `PgInvalidationSubscriber`,
 * `RedisInvalidationSubscriber` and `GatewayInvalidationSubscriber` are.
 *
 * Lifecycle. It starts connecting when constructed. {@link start} resolves once
 * the first connection is subscribed (and its clear applied, see below);
 * {@link ready} tells the same of the current connection. {@link close} stops it
 * for good. While the transport cannot connect it keeps retrying, with capped,
 * jittered exponential backoff (`reconnectDelayMs` to `maxReconnectDelayMs`),
 * for as long as it takes.
 *
 * Deadlines. Every wait has one: a connection attempt (`connectTimeoutMs`), each
 * read (a connection must prove it is alive every `heartbeatIntervalMs`; a peer
 * gone silent is noticed within `heartbeatIntervalMs + connectTimeoutMs`), each
 * sink's promise (`sinkTimeoutMs`), closing a connection (`connectTimeoutMs`).
 * A step past its deadline counts as a lost connection.
 *
 * Continuity. Whenever it cannot prove that no event was missed, it clears every
 * sink, counts the clear by cause in {@link stats} and publishes it on
 * `aa:invalidation:clear`: on the first connection (`'start'`: whatever a sink
 * loaded before was never covered), after a reconnect that the transport
 * cannot prove lossless (`'reconnect'`), when the transport detects a gap, and
 * for an event that does not parse (`'malformed'`; it never guesses). So a sink
 * never goes on serving a copy whose invalidation it missed.
 *
 * Sinks. See `SinkFanout`: in order, promises awaited, a failing sink cleared.
 * Nothing is thrown at the caller: errors go to `onError`. After {@link close}
 * resolves, no sink is called and no connection or timer is left.
 *
 * @typeParam Position - the transport's position type.
 */
export class InvalidationSubscriber<Position = never> implements AsyncDisposable {
  readonly #transport: InvalidationTransport<Position>;
  readonly #options: ResolvedSubscriberOptions;
  readonly #stats = new SubscriberStatsCounter();
  readonly #fanout: SinkFanout;
  readonly #stop = new AbortController();
  readonly #started = deferred();
  #ready = deferred();
  #state: SubscriberState = 'connecting';
  #position: Position | undefined;
  #closing: Promise<void> | undefined;
  readonly #loop: Promise<void>;

  /**
   * Starts connecting at once.
   * @param transport - how to connect and read.
   * @param options - the common options, resolved (see `resolveSubscriberOptions`).
   * @param position - where to resume (the transport's position), if anywhere.
   */
  constructor(
    transport: InvalidationTransport<Position>,
    options: ResolvedSubscriberOptions,
    position?: Position,
  ) {
    this.#transport = transport;
    this.#options = options;
    this.#position = position;
    this.#fanout = new SinkFanout(
      options.sinks,
      options.sinkTimeoutMs,
      options.scheduler,
      this.#reportError,
      this.#stop.signal,
    );
    this.#loop = this.#run().catch((error: unknown) => this.#stopOnFailure(error));
  }

  /** See {@link SubscriberState}. */
  get state(): SubscriberState {
    return this.#state;
  }

  /** Whether a connection is subscribed right now. */
  get connected(): boolean {
    return this.#state === 'connected';
  }

  /**
   * Settles when the current connection is subscribed and its clear, if any,
   * applied: resolved while connected; a new pending promise from the moment a
   * connection is lost until the next one is subscribed; rejected with an
   * `InvalidationError` `Closed` if {@link close} comes first.
   */
  get ready(): Promise<void> {
    return this.#ready.promise;
  }

  /**
   * The position of the last event applied (or skipped past by a clear): every
   * event up to it has reached the sinks. `undefined` when the transport has no
   * positions, or before the first connection established one.
   */
  protected get position(): Position | undefined {
    return this.#position;
  }

  /**
   * Resolves once the first connection is subscribed and its clear applied: from
   * then on every change is applied. If the transport cannot connect it keeps
   * retrying (each failure goes to `onError`) and stays pending; bound the wait
   * yourself if start-up must not block. Calling it again returns the same promise.
   *
   * @throws {InvalidationError} `Closed` (as a rejection) when {@link close} comes first.
   */
  start(): Promise<void> {
    return this.#started.promise;
  }

  /** Cumulative counters; see {@link SubscriberStats}. */
  stats(): SubscriberStats {
    return this.#stats.snapshot(this.#fanout.failures);
  }

  /**
   * Stops for good: aborts the connection or attempt in progress (a blocked read
   * does not delay it), cancels the backoff, and resolves once nothing of the
   * subscriber is left open. A sink's pending promise is not waited for; no sink
   * is called after. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** {@link close}, for `await using subscriber = new …Subscriber(…)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.#halt();
    await this.#loop;
  }

  /** Marks the subscriber closed and aborts whatever it waits for; does not wait. Idempotent. */
  #halt(): void {
    if (this.#stop.signal.aborted) return;
    this.#state = 'closed';
    const closed = new InvalidationError(
      INVALIDATION_ERROR_CODES.Closed,
      `the ${this.#transport.name} subscriber of ${this.#transport.target} was closed`,
    );
    this.#started.reject(closed);
    // A closed subscriber is not ready, even if it was: `ready` rejects from now on.
    if (this.#ready.settled) this.#ready = deferred();
    this.#ready.reject(closed);
    this.#stop.abort(closed);
  }

  /**
   * The reconnect loop failed outside any connection: only a scheduler whose
   * `setTimeout` throws gets here. Without a way to time the backoff, retrying
   * would spin, so the subscriber reports it and stops, rather than leave an
   * unhandled rejection (which ends a Node.js process) or a `close()` that rejects.
   */
  #stopOnFailure(error: unknown): void {
    if (this.#isClosed()) return;
    const cause = asError(error);
    this.#report(
      new InvalidationError(
        INVALIDATION_ERROR_CODES.Connection,
        `the ${this.#transport.name} subscriber of ${this.#transport.target} stopped: ${cause.message}; its sinks are no longer invalidated`,
        { cause },
      ),
    );
    this.#halt();
  }

  async #run(): Promise<void> {
    let attempt = 0;
    let everConnected = false;
    while (this.#state !== 'closed') {
      this.#state = 'connecting';
      const attemptAbort = new AbortController();
      const stop = (): void => attemptAbort.abort(this.#stop.signal.reason);
      this.#stop.signal.addEventListener('abort', stop, { once: true });
      let connection: TransportConnection<Position> | undefined;
      let connected = false;
      try {
        connection = await this.#connect(attemptAbort, everConnected);
        await this.#establish(connection.continuity, everConnected);
        if (this.#isClosed()) break;
        connected = true;
        this.#connected(everConnected);
        everConnected = true;
        // The backoff starts over only once a read has succeeded: a peer that
        // accepts each connection and fails it at once must not be retried in a
        // tight loop at the first delay.
        await this.#readUntilFailure(connection, attemptAbort.signal, () => {
          attempt = 0;
        });
      } catch (error) {
        if (!this.#isClosed()) this.#lost(error, connected, attempt);
      } finally {
        this.#stop.signal.removeEventListener('abort', stop);
        attemptAbort.abort();
        if (connection !== undefined) await this.#closeConnection(connection);
      }
      if (this.#isClosed()) break;
      this.#state = 'backoff';
      await sleep(this.#delay(attempt++), this.#options.scheduler, this.#stop.signal);
    }
  }

  async #connect(
    attemptAbort: AbortController,
    reconnect: boolean,
  ): Promise<TransportConnection<Position>> {
    const { scheduler, connectTimeoutMs, heartbeatIntervalMs } = this.#options;
    // Promise.resolve: a transport that returns its connection without a
    // promise must still have it closed when the attempt is given up.
    const attempt = Promise.resolve(
      this.#transport.connect({
        position: this.#position,
        reconnect,
        signal: attemptAbort.signal,
        scheduler,
        heartbeatIntervalMs,
        timeoutMs: connectTimeoutMs,
        report: this.#reportError,
      }),
    );
    try {
      return await withDeadline(
        attempt,
        connectTimeoutMs,
        `connecting to ${this.#transport.target}`,
        scheduler,
        attemptAbort.signal,
      );
    } catch (error) {
      attemptAbort.abort(error);
      // An attempt that succeeds after all, once abandoned, is closed at once.
      attempt.then((late) => void this.#closeConnection(late)).catch(() => {});
      throw error;
    }
  }

  /** Applies a new connection's continuity: nothing, or a clear. */
  async #establish(continuity: Continuity<Position>, reconnect: boolean): Promise<void> {
    if (continuity.proven) return;
    await this.#clear(
      continuity.cause ?? (reconnect ? CLEAR_CAUSES.reconnect : CLEAR_CAUSES.start),
      continuity.resumeFrom,
    );
  }

  #connected(reconnect: boolean): void {
    this.#state = 'connected';
    this.#stats.connects++;
    if (reconnect) this.#stats.reconnects++;
    if (channels.connect.hasSubscribers) {
      channels.connect.publish({ ...this.#describe(), reconnect, position: this.#position });
    }
    this.#ready.resolve();
    this.#started.resolve();
  }

  /** Reads and applies until the connection fails; `onHealthy` after the first read that succeeds. */
  async #readUntilFailure(
    connection: TransportConnection<Position>,
    signal: AbortSignal,
    onHealthy: () => void,
  ): Promise<void> {
    const { scheduler, heartbeatIntervalMs, connectTimeoutMs } = this.#options;
    const readDeadlineMs = heartbeatIntervalMs + connectTimeoutMs;
    const what = `reading from ${this.#transport.target} (the peer may have gone silent)`;
    while (!this.#isClosed()) {
      const events = await withDeadline(
        connection.read(signal),
        readDeadlineMs,
        what,
        scheduler,
        signal,
      );
      onHealthy();
      for (const event of events) {
        if (this.#isClosed()) return;
        await this.#apply(event);
        if (this.#isClosed()) return;
        if (event.position !== undefined) {
          this.#position = event.position;
          connection.applied?.(event.position);
        }
      }
    }
  }

  async #apply(event: TransportEvent<Position>): Promise<void> {
    this.#stats.events++;
    switch (event.kind) {
      case 'invalidate':
        this.#stats.invalidations++;
        await this.#fanout.invalidate(event.agentId);
        return;
      case 'clear':
        await this.#clear(CLEAR_CAUSES.published, event.position);
        return;
      case 'malformed':
        await this.#malformed(event.detail, event.position);
        return;
      case 'gap':
        await this.#clear(event.cause, event.position);
        return;
      case 'skip':
        return;
      default: {
        // A kind this core does not know (a transport written against a newer
        // contract, a bug): skipping past its position could skip an invalidation.
        const unknown: { readonly kind?: unknown; readonly position?: Position } = event;
        await this.#malformed(`an event of unknown kind ${String(unknown.kind)}`, unknown.position);
      }
    }
  }

  async #malformed(detail: string, position: Position | undefined): Promise<void> {
    this.#stats.malformed++;
    this.#report(
      new InvalidationError(
        INVALIDATION_ERROR_CODES.Malformed,
        `malformed event from ${this.#transport.target}: ${detail}; cleared every sink instead`,
      ),
    );
    await this.#clear(CLEAR_CAUSES.malformed, position);
  }

  /** Clears every sink for `cause`, moving to `position` (the clear covers what lay between). */
  async #clear(cause: string, position: Position | undefined = this.#position): Promise<void> {
    const previousPosition = this.#position;
    this.#position = position;
    this.#stats.cleared(cause);
    if (channels.clear.hasSubscribers) {
      channels.clear.publish({ ...this.#describe(), cause, position, previousPosition });
    }
    await this.#fanout.clear();
  }

  #lost(error: unknown, wasConnected: boolean, attempt: number): void {
    const cause = asError(error);
    // Not connected from this moment, while the dead connection is still being
    // closed: `state`, `connected` and `ready` agree with the stats.
    this.#state = 'backoff';
    if (wasConnected) {
      this.#stats.disconnections++;
      this.#ready = deferred();
      if (channels.disconnect.hasSubscribers) {
        channels.disconnect.publish({ ...this.#describe(), error: cause });
      }
    } else {
      this.#stats.failedAttempts++;
    }
    const what = wasConnected
      ? 'lost its connection'
      : `failed to connect (attempt ${attempt + 1})`;
    this.#report(
      new InvalidationError(
        INVALIDATION_ERROR_CODES.Connection,
        `the ${this.#transport.name} subscriber of ${this.#transport.target} ${what}: ${cause.message}; reconnecting`,
        { cause },
      ),
    );
  }

  async #closeConnection(connection: TransportConnection<Position>): Promise<void> {
    const { scheduler, connectTimeoutMs } = this.#options;
    try {
      await withDeadline(
        connection.close(),
        connectTimeoutMs,
        `closing the connection to ${this.#transport.target}`,
        scheduler,
      );
    } catch {
      // A connection that will not close is abandoned; its transport destroyed what it could.
    }
  }

  #delay(attempt: number): number {
    const { reconnectDelayMs: minDelayMs, maxReconnectDelayMs: maxDelayMs } = this.#options;
    return reconnectDelay(attempt, { minDelayMs, maxDelayMs }, this.#jitter);
  }

  /**
   * `random()`, held to `[0, 1]`: a jitter source that throws or strays (`NaN`,
   * `-1`, `5`) must neither end the reconnect loop nor break the backoff's
   * bounds (a delay of 0 is a tight reconnect loop). Such a draw counts as 1,
   * the full ceiling: the slow side is the safe one.
   */
  readonly #jitter = (): number => {
    try {
      const draw = this.#options.random();
      return draw >= 0 && draw <= 1 ? draw : 1;
    } catch {
      return 1;
    }
  };

  #describe(): { transport: string; target: string } {
    return { transport: this.#transport.name, target: this.#transport.target };
  }

  /** Reads the state afresh: `close()` may have run while an await was pending. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  readonly #reportError = (error: InvalidationError): void => this.#report(error);

  #report(error: InvalidationError): void {
    this.#stats.errors++;
    try {
      this.#options.onError(error);
    } catch {
      // onError must not throw; if it does, the subscriber still goes on.
    }
  }
}
