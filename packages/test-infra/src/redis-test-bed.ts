import { randomUUID } from 'node:crypto';
import { requireService } from '@aa/testing';
import { Redis } from 'ioredis';
import { withDeadline } from './polling.js';

/**
 * The Redis server every suite talks to: `AA_REDIS_URL`, else
 * `redis://127.0.0.1:6379`. The same rule as `redisUrlFromEnv()` of
 * `@aa/invalidation-redis`, restated because this package cannot import it
 * (that package depends on this one for its tests).
 */
export const REDIS_URL = (() => {
  const { AA_REDIS_URL } = process.env;
  return AA_REDIS_URL || 'redis://127.0.0.1:6379';
})();

/**
 * Whether the suites that need Redis run: `requireService` of `@aa/testing`
 * with a connection and `PING` as its probe. `true` runs them; `false` skips
 * them with one loud line; under `AA_REQUIRE_SERVICES=1` an unreachable
 * server fails the run instead.
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
 * The URL of logical database `db` of {@link REDIS_URL}. A suite that cannot
 * isolate itself by key prefix (upstream's key layout has none, and a
 * `clear()` or a global generation spans a database) owns one database,
 * emptied by {@link freshRedisDatabase}.
 */
export function redisUrlOf(db: number): string {
  const url = new URL(REDIS_URL);
  url.pathname = `/${db}`;
  return url.toString();
}

/** An admin connection to database `db` of {@link REDIS_URL}, which it empties first. */
export async function freshRedisDatabase(db: number): Promise<Redis> {
  const admin = new Redis(redisUrlOf(db), { maxRetriesPerRequest: 1 });
  admin.on('error', () => {});
  await admin.flushdb();
  return admin;
}

/** How long {@link RedisTestBed.dispose} may take. */
const DISPOSE_TIMEOUT_MS = 10_000;

/**
 * One test's private corner of the shared Redis server: a random key prefix,
 * an admin connection for fault injection, and the things the test made
 * (registered with {@link defer}). {@link dispose} closes those, deletes
 * every key under the prefix and quits the admin connection.
 *
 * @example
 * const bed = new RedisTestBed();
 * afterEach(() => bed.dispose());
 * const client = new Redis(REDIS_URL);
 * bed.defer(async () => client.disconnect());
 */
export class RedisTestBed {
  /** The test's key prefix: `aa-test:<uuid>`. */
  readonly prefix = `aa-test:${randomUUID()}`;
  /** An admin connection to {@link REDIS_URL}. */
  readonly admin: Redis;
  readonly #closers: (() => Promise<void>)[] = [];

  /** Opens the admin connection. */
  constructor() {
    this.admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    this.admin.on('error', () => {});
  }

  /** Runs `close` at {@link dispose}, all such closers at once. */
  defer(close: () => Promise<void>): void {
    this.#closers.push(close);
  }

  /**
   * Kills, from the server side, the one connection named `name` (`CLIENT KILL
   * ID`): no other client of the shared server is touched.
   * @throws when no connection, or more than one, has that name.
   */
  async killConnection(name: string): Promise<void> {
    const ids = (await this.#clientsNamed(name)).map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1]);
    if (ids.length !== 1 || ids[0] === undefined) {
      throw new Error(`expected one connection named ${name}, found ${ids.length}`);
    }
    const killed = await this.admin.client('KILL', 'ID', ids[0]);
    if (killed !== 1) throw new Error(`CLIENT KILL ID ${ids[0]} killed ${String(killed)}`);
  }

  /** How many server connections are named `name` right now. */
  async connectionsNamed(name: string): Promise<number> {
    return (await this.#clientsNamed(name)).length;
  }

  /**
   * Closes everything registered with {@link defer}, deletes the test's keys
   * and quits the admin connection.
   * @throws when that takes longer than 10 s.
   */
  async dispose(): Promise<void> {
    await withDeadline(this.#dispose(), DISPOSE_TIMEOUT_MS, 'the Redis test bed to dispose');
  }

  async #dispose(): Promise<void> {
    await Promise.all(this.#closers.splice(0).map((close) => close()));
    let cursor = '0';
    do {
      const [next, keys] = await this.admin.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await this.admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await this.admin.quit();
  }

  async #clientsNamed(name: string): Promise<string[]> {
    const list = (await this.admin.client('LIST')) as string;
    return list.split('\n').filter((line) => line.includes(` name=${name} `));
  }
}
