import { InvalidationSubscriber } from '@aa/invalidation';
import { ListenTransport } from './listen-transport.js';
import {
  type PgInvalidationSubscriberOptions,
  resolvePgSubscriberOptions,
} from './subscriber-options.js';

/**
 * Listens for the NOTIFY that {@link PgPolicyStore.putPolicy} sends when a write
 * commits, on a dedicated connection, and drives a sink (an `L1Cache`) with it,
 * on the invalidation-subscriber core of `@aa/invalidation`: `invalidate(id)`
 * for an agent id, `clear()` for an empty payload. A malformed payload is
 * reported to `onError` and clears the sink; nothing is thrown.
 *
 * Reconnection. When the connection drops (the server restarts, an admin runs
 * `pg_terminate_backend`, a heartbeat goes unanswered), the subscriber reports
 * it, waits a capped, jittered backoff and reconnects, for as long as it takes.
 * Notifications sent while it was disconnected are lost (LISTEN has no
 * replay), so after every successful `LISTEN`, the first included, it clears
 * the sink: anything cached before that moment reloads, and anything written
 * after it is notified. `ready` tells when the current connection listens.
 *
 * Resources. While listening it holds one connection, whose socket keeps the
 * process alive as any open connection does; its timers are unref'd. `close()`
 * ends the connection; after it the sink is never called again.
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
export class PgInvalidationSubscriber extends InvalidationSubscriber {
  readonly #transport: ListenTransport;

  /**
   * Starts connecting at once; see {@link InvalidationSubscriber.start}.
   * @param options - see {@link PgInvalidationSubscriberOptions}.
   * @throws {TypeError} when an option is missing, unknown or invalid.
   */
  constructor(options: PgInvalidationSubscriberOptions) {
    const { common, clientConfig, channel } = resolvePgSubscriberOptions(options);
    const transport = new ListenTransport(clientConfig, channel);
    super(transport, common);
    this.#transport = transport;
  }

  /** The channel listened on. */
  get channel(): string {
    return this.#transport.target;
  }

  /**
   * The server process id of the listening connection (what
   * `pg_terminate_backend()` takes), or `undefined` while not listening.
   */
  get backendPid(): number | undefined {
    return this.connected ? this.#transport.backendPid : undefined;
  }
}
