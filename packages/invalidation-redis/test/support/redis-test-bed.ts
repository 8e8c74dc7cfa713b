import { randomUUID } from 'node:crypto';
import { requireService } from '@aa/testing';
import { Redis } from 'ioredis';
import {
  type RedisInvalidationError,
  RedisInvalidationPublisher,
  type RedisInvalidationPublisherOptions,
  RedisInvalidationSubscriber,
  type RedisInvalidationSubscriberOptions,
  redisUrlFromEnv,
} from '../../src/index.js';

/** The server the suites talk to: `AA_REDIS_URL`, else the local default. */
export const REDIS_URL = redisUrlFromEnv();

/**
 * Whether Redis answers: `true` runs the suites; `false` skips them with one
 * loud line, or fails the run under `AA_REQUIRE_SERVICES=1`.
 */
export function redisAvailable(): Promise<boolean> {
  return requireService(
    `Redis at ${REDIS_URL}`,
    async () => {
      const probe = new Redis(REDIS_URL, {
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
        connectTimeout: 2_000,
      });
      let socketError: Error | undefined;
      probe.on('error', (error: Error) => {
        socketError = error;
      });
      try {
        await probe.connect();
        await probe.ping();
      } catch (error) {
        // ioredis rejects with "Connection is closed."; the 'error' event says why.
        throw socketError ?? error;
      } finally {
        probe.disconnect();
      }
    },
    { hint: 'start Redis (`redis-server`) or set AA_REDIS_URL' },
  );
}

/**
 * One test's private corner of the shared server: a random key prefix, the
 * publishers and subscribers it made (closed by {@link dispose}), the errors
 * those subscribers reported, and an admin connection for fault injection.
 * {@link dispose} deletes every key under the prefix.
 */
export class RedisTestBed {
  readonly prefix = `aa-test:${randomUUID()}`;
  /** The test's stream key. */
  readonly key = `${this.prefix}:invalidation`;
  /** What the subscribers made here reported through `onError`. */
  readonly errors: RedisInvalidationError[] = [];
  readonly admin: Redis;
  readonly #closers: (() => Promise<void>)[] = [];

  constructor() {
    this.admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    this.admin.on('error', () => {});
  }

  /** A publisher on this test's stream. */
  publisher(options: RedisInvalidationPublisherOptions = {}): RedisInvalidationPublisher {
    const publisher = new RedisInvalidationPublisher({ url: REDIS_URL, key: this.key, ...options });
    this.#closers.push(() => publisher.close());
    return publisher;
  }

  /**
   * A subscriber on this test's stream, with a unique connection name, fast
   * reconnects, a short block (so a lost connection is retried quickly), and
   * errors collected in {@link errors}.
   */
  subscriber(options: RedisInvalidationSubscriberOptions): RedisInvalidationSubscriber {
    const subscriber = new RedisInvalidationSubscriber({
      url: REDIS_URL,
      key: this.key,
      connectionName: `aa-test-${randomUUID()}`,
      minReconnectDelayMs: 20,
      maxReconnectDelayMs: 200,
      blockMs: 1_000,
      onError: (error) => this.errors.push(error),
      ...options,
    });
    this.#closers.push(() => subscriber.close());
    return subscriber;
  }

  /**
   * Kills, from the server side, the one connection named `name` (`CLIENT KILL
   * ID`): no other client of the shared server is touched.
   * @throws when no connection, or more than one, has that name.
   */
  async killConnection(name: string): Promise<void> {
    const list = (await this.admin.client('LIST')) as string;
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1]);
    if (ids.length !== 1 || ids[0] === undefined) {
      throw new Error(`expected one connection named ${name}, found ${ids.length}`);
    }
    const killed = await this.admin.client('KILL', 'ID', ids[0]);
    if (killed !== 1) throw new Error(`CLIENT KILL ID ${ids[0]} killed ${String(killed)}`);
  }

  /** How many server connections are named `name` right now. */
  async connectionsNamed(name: string): Promise<number> {
    const list = (await this.admin.client('LIST')) as string;
    return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
  }

  /** Closes everything made here, deletes the test's keys, quits the admin connection. */
  async dispose(): Promise<void> {
    await Promise.all(this.#closers.splice(0).map((close) => close()));
    let cursor = '0';
    do {
      const [next, keys] = await this.admin.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await this.admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await this.admin.quit();
  }
}

/**
 * Polls `condition` every few milliseconds until it holds.
 * @throws when it still does not after `timeoutMs`, with `what` in the message.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
