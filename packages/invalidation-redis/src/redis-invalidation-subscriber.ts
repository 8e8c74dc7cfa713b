import { reconnectDelay } from '@aa/core';
import { cancellableSleep } from './cancellable-sleep.js';
import { channels } from './diagnostics.js';
import { INVALIDATION_ERROR_CODES, RedisInvalidationError } from './errors.js';
import { detectGap, type GapVerdict } from './gap-detection.js';
import { decodeInvalidationEvent } from './invalidation-event.js';
import { SinkFanout } from './sink-fanout.js';
import { STREAM_START_ID } from './stream-id.js';
import type { StreamInfo } from './stream-info.js';
import { type StreamEntry, StreamReader } from './stream-reader.js';
import {
  type RedisInvalidationSubscriberOptions,
  type ResolvedSubscriberOptions,
  resolveSubscriberOptions,
} from './subscriber-options.js';
import { type RedisSubscriberStats, SubscriberStatsCounter } from './subscriber-stats.js';

/**
 * Applies the events of a Redis invalidation stream to sinks (`L1Cache`s): each
 * `publish(agentId)` invalidates that agent, each `publishAll()` clears.
 *
 * It reads with a blocking `XREAD` on a dedicated connection, from the id of
 * the last entry it applied, so events arrive in publish order, each once.
 *
 * Disconnections. When its connection fails (killed by the server, a network
 * fault, a read that gets no answer within `2 × blockMs + 1 s`), it reconnects with
 * capped exponential backoff and jitter, on a fresh connection, and resumes
 * from its last id: the events published meanwhile are applied then, in order.
 *
 * Gaps. After every connection, and along with every read, it inspects the
 * stream (`XINFO STREAM`). When an event it has not applied may be gone
 * (trimmed past `maxLen` while it was away or lagging, or the key deleted), it
 * clears every sink and reads on from the stream's newest id: it never goes on
 * serving a copy it missed the invalidation of. See `detectGap` for the rule.
 *
 * A malformed entry is reported to `onError` and clears every sink; nothing is
 * ever thrown at the caller. After {@link close} resolves, no sink is called
 * and no connection or timer is left.
 *
 * @example
 * const cache = new L1Cache(asCacheSource(store), { ttlMs: 60_000 });
 * const subscriber = new RedisInvalidationSubscriber({ sinks: [cache] });
 * await subscriber.ready; // from here on, every publish reaches the cache
 * // …
 * await subscriber.close();
 */
export class RedisInvalidationSubscriber implements AsyncDisposable {
  readonly #options: ResolvedSubscriberOptions;
  readonly #stats = new SubscriberStatsCounter();
  readonly #fanout: SinkFanout;
  readonly #stop = new AbortController();
  readonly #ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (reason: unknown) => void;
  #lastId: string | undefined;
  #reader: StreamReader | undefined;
  #connected = false;
  #closed = false;
  readonly #loop: Promise<void>;

  /**
   * Starts connecting at once; see {@link ready}.
   * @param options - see {@link RedisInvalidationSubscriberOptions}.
   * @throws {TypeError} when an option is invalid.
   */
  constructor(options: RedisInvalidationSubscriberOptions) {
    this.#options = resolveSubscriberOptions(options);
    this.#lastId = this.#options.startId === '$' ? undefined : this.#options.startId;
    this.#fanout = new SinkFanout(
      this.#options.sinks,
      (error) => this.#report(error),
      () => this.#closed,
    );
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Observed here so that a subscriber closed before it was ready, and whose
    // `ready` nobody awaits, does not raise an unhandled rejection.
    this.#ready.catch(() => {});
    this.#loop = this.#run();
  }

  /**
   * Resolves once the subscriber has connected and established its position
   * (and, for `startId: '$'`, cleared its sinks): every event published after
   * that is applied. Until Redis answers, the subscriber keeps retrying and this
   * stays pending. Rejects with a `RedisInvalidationError` (`AA_INVALIDATION_CLOSED`)
   * when {@link close} comes first.
   */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * The id of the last entry applied (or skipped past by a clear): every event up
   * to it has reached the sinks. `undefined` before a `startId: '$'` subscriber
   * is ready. Hand it to a later subscriber's `startId` to resume there.
   */
  get lastId(): string | undefined {
    return this.#lastId;
  }

  /** Whether the subscriber holds a live connection right now. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The stream's key. */
  get key(): string {
    return this.#options.key;
  }

  /** The connection's name in `CLIENT LIST`. */
  get connectionName(): string {
    return this.#options.connectionName;
  }

  /** Cumulative counters; see {@link RedisSubscriberStats}. */
  stats(): RedisSubscriberStats {
    this.#stats.sinkErrors = this.#fanout.failures;
    return this.#stats.snapshot();
  }

  /**
   * Stops reading: closes the connection (a blocked read does not delay it),
   * cancels any reconnect timer, and resolves once nothing is left open. If a
   * sink's promise is pending, it waits for it to settle, but calls no sink
   * after. Idempotent.
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#stop.abort();
      this.#rejectReady(
        new RedisInvalidationError(
          INVALIDATION_ERROR_CODES.Closed,
          `RedisInvalidationSubscriber for stream "${this.#options.key}" was closed`,
        ),
      );
      void this.#reader?.disconnect();
    }
    await this.#loop;
  }

  /** {@link close}, for `await using subscriber = new RedisInvalidationSubscriber(…)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run(): Promise<void> {
    let attempt = 0;
    let everConnected = false;
    while (!this.#closed) {
      const reader = new StreamReader(this.#options);
      this.#reader = reader;
      try {
        await reader.connect();
        if (this.#closed) break;
        const lastId = await this.#establishPosition(await reader.info());
        if (this.#closed) break;
        this.#connected = true;
        attempt = 0;
        if (everConnected) this.#stats.reconnects++;
        if (channels.connect.hasSubscribers) {
          channels.connect.publish({
            key: this.#options.key,
            connectionName: this.#options.connectionName,
            reconnect: everConnected,
            lastId,
          });
        }
        everConnected = true;
        this.#resolveReady();
        await this.#readUntilFailure(reader);
      } catch (error) {
        if (!this.#closed) this.#reportConnectionLoss(error, attempt);
      } finally {
        this.#connected = false;
        this.#reader = undefined;
        await reader.disconnect();
      }
      if (this.#closed) break;
      await cancellableSleep(this.#delay(attempt++), this.#stop.signal);
    }
  }

  async #readUntilFailure(reader: StreamReader): Promise<void> {
    while (!this.#closed) {
      const batch = await reader.read(this.#lastId as string);
      if (this.#closed) return;
      await this.#applyBatch(batch.entries, batch.info);
    }
  }

  /**
   * Fixes where reading starts on a new connection: the stream's newest id for
   * a fresh `'$'` subscriber (then a clear, see `startId`), the last id
   * otherwise, after checking that nothing after it is gone.
   */
  async #establishPosition(info: StreamInfo | undefined): Promise<string> {
    if (this.#lastId === undefined) {
      this.#lastId = info?.lastGeneratedId ?? STREAM_START_ID;
      await this.#fanout.clear(undefined);
      return this.#lastId;
    }
    const verdict = detectGap(info, this.#lastId);
    if (verdict.gap) await this.#recoverFromGap(verdict);
    return this.#lastId;
  }

  async #applyBatch(entries: readonly StreamEntry[], info: StreamInfo | undefined): Promise<void> {
    // `info` was read after the entries: if anything between the position and
    // the first of them is gone, they are not the next events, so applying them
    // would skip some. The clear covers them all instead.
    const verdict = detectGap(info, this.#lastId as string);
    if (verdict.gap) {
      await this.#recoverFromGap(verdict);
      return;
    }
    for (const entry of entries) {
      if (this.#closed) return;
      const event = decodeInvalidationEvent(entry.fields);
      if (typeof event === 'string') {
        this.#stats.malformed++;
        this.#report(
          new RedisInvalidationError(
            INVALIDATION_ERROR_CODES.MalformedEntry,
            `malformed entry ${entry.id} in stream "${this.#options.key}": ${event}; cleared every sink`,
            { entryId: entry.id },
          ),
        );
        await this.#fanout.clear(entry.id);
      } else if (event.kind === 'invalidate') {
        this.#stats.invalidations++;
        await this.#fanout.invalidate(event.agentId, entry.id);
      } else {
        this.#stats.clears++;
        await this.#fanout.clear(entry.id);
      }
      this.#stats.events++;
      this.#lastId = entry.id;
    }
  }

  async #recoverFromGap(verdict: GapVerdict & { gap: true }): Promise<void> {
    this.#stats.gaps++;
    if (channels.gap.hasSubscribers) {
      channels.gap.publish({
        key: this.#options.key,
        connectionName: this.#options.connectionName,
        reason: verdict.reason,
        lastId: this.#lastId as string,
        resumeFrom: verdict.resumeFrom,
      });
    }
    await this.#fanout.clear(undefined);
    this.#lastId = verdict.resumeFrom;
  }

  #delay(attempt: number): number {
    const { minReconnectDelayMs: minDelayMs, maxReconnectDelayMs: maxDelayMs } = this.#options;
    return reconnectDelay(attempt, { minDelayMs, maxDelayMs });
  }

  #reportConnectionLoss(error: unknown, attempt: number): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.#report(
      new RedisInvalidationError(
        INVALIDATION_ERROR_CODES.Connection,
        `subscriber "${this.#options.connectionName}" of stream "${this.#options.key}" ` +
          `lost Redis (${reason}); reconnecting (attempt ${attempt + 1}), resuming after ${this.#lastId ?? "'$'"}`,
        { cause: error },
      ),
    );
  }

  #report(error: RedisInvalidationError): void {
    try {
      this.#options.onError(error);
    } catch {
      // onError must not throw; if it does, the subscriber still goes on.
    }
  }
}
