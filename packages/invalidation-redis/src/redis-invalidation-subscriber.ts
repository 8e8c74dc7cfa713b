import { InvalidationSubscriber } from '@aa/invalidation';
import { RedisStreamTransport } from './redis-stream-transport.js';
import {
  type RedisInvalidationSubscriberOptions,
  resolveRedisSubscriberOptions,
} from './subscriber-options.js';

/**
 * Applies the events of a Redis invalidation stream to a sink (an `L1Cache`),
 * on the invalidation-subscriber core of `@aa/invalidation`: each
 * `publish(agentId)` invalidates that agent, each `publishAll()` clears.
 *
 * It reads with a blocking `XREAD` on a dedicated connection, from the id of
 * the last entry it applied, so events arrive in publish order, each once.
 *
 * Disconnections. When its connection fails (killed by the server, a network
 * fault, a handshake or a read that gets no answer within its deadline), it
 * reconnects with capped, jittered backoff, on a fresh connection, and resumes
 * from its last id: the events published meanwhile are applied then, in order,
 * and nothing is cleared.
 *
 * Gaps. After every connection, and along with every read, it inspects the
 * stream (`XINFO STREAM`). When an event it has not applied may be gone
 * (trimmed past `maxLen` while it was away or lagging, or the key deleted), it
 * clears the sink (the cause is the gap's reason: `'trimmed'`, `'deleted'`,
 * `'stream-missing'`, `'stream-reset'`) and reads on from the stream's newest
 * id: it never goes on serving a copy it missed the invalidation of. See
 * `detectGap` for the rule. A malformed entry is reported and clears the sink.
 *
 * @example
 * const cache = new L1Cache(asCacheSource(store), { ttlMs: 60_000 });
 * const subscriber = new RedisInvalidationSubscriber({ sink: cache });
 * await subscriber.start(); // from here on, every publish reaches the cache
 * // …
 * await subscriber.close();
 */
export class RedisInvalidationSubscriber extends InvalidationSubscriber<string> {
  readonly #key: string;
  readonly #connectionName: string;

  /**
   * Starts connecting at once; see {@link InvalidationSubscriber.start}.
   * @param options - see {@link RedisInvalidationSubscriberOptions}.
   * @throws {TypeError} when an option is unknown or invalid.
   */
  constructor(options: RedisInvalidationSubscriberOptions) {
    const { common, reader, startId } = resolveRedisSubscriberOptions(options);
    super(new RedisStreamTransport(reader), common, startId);
    this.#key = reader.key;
    this.#connectionName = reader.connectionName;
  }

  /**
   * The id of the last entry applied (or skipped past by a clear): every event up
   * to it has reached the sink. `undefined` before a `startId: '$'` subscriber
   * first connected. Hand it to a later subscriber's `startId` to resume there.
   */
  get lastId(): string | undefined {
    return this.position;
  }

  /** The stream's key. */
  get key(): string {
    return this.#key;
  }

  /** The connection's name in `CLIENT LIST`. */
  get connectionName(): string {
    return this.#connectionName;
  }
}
