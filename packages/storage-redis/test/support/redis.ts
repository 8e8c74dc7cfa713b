import { requireService } from '@aa/testing';
import { Redis } from 'ioredis';

/** The server the suites talk to: `AA_REDIS_URL`, else the local default. */
export const REDIS_URL = (() => {
  const { AA_REDIS_URL } = process.env;
  return AA_REDIS_URL || 'redis://127.0.0.1:6379';
})();

/**
 * The URL of logical database `db` of {@link REDIS_URL}. Each suite file owns
 * one (upstream's key layout has no prefix to isolate tests by, and `clear()`
 * and the global generation span a database), and flushes it first.
 */
export function redisUrlOf(db: number): string {
  const url = new URL(REDIS_URL);
  url.pathname = `/${db}`;
  return url.toString();
}

/** Whether Redis answers; see `requireService`. */
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
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
      } finally {
        probe.disconnect();
      }
    },
    { hint: 'start Redis (`redis-server`) or set AA_REDIS_URL' },
  );
}

/** An admin connection to database `db`, emptied. */
export async function freshDatabase(db: number): Promise<Redis> {
  const admin = new Redis(redisUrlOf(db), { maxRetriesPerRequest: 1 });
  admin.on('error', () => {});
  await admin.flushdb();
  return admin;
}
