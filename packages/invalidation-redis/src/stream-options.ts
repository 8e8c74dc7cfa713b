import { checkObject, checkToken } from '@aa/core';
import type { RedisOptions } from 'ioredis';
import { redisUrlFromEnv } from './redis-url.js';

/** The stream both sides use unless told otherwise. */
export const DEFAULT_STREAM_KEY = 'aa:invalidation';

/** Where the stream lives: the options the publisher and the subscriber share. */
export interface StreamLocationOptions {
  /**
   * The Redis URL (`redis://`, `rediss://` for TLS, credentials and database
   * number included) that connections are opened to.
   *
   * @default redisUrlFromEnv(): `AA_REDIS_URL`, else `redis://127.0.0.1:6379`
   */
  readonly url?: string | undefined;
  /**
   * Extra `ioredis` settings for the connections this package opens (TLS,
   * `username`/`password`, `family`, …). The settings correctness depends on
   * override these: no `keyPrefix` (put any prefix in `key`), and ioredis's
   * reconnection off (`retryStrategy` returning `null`), since the package
   * decides itself when to reconnect and where to resume; the subscriber also
   * sets `enableOfflineQueue`, `autoResendUnfulfilledCommands`,
   * `connectionName`, `connectTimeout` and `disconnectTimeout`.
   */
  readonly redisOptions?: RedisOptions | undefined;
  /**
   * The stream's key. Publishers and subscribers of one bus must agree on it;
   * give each tenant or environment its own. Cluster users: all commands touch
   * this one key, so no hash tag is needed.
   *
   * @default 'aa:invalidation'
   */
  readonly key?: string | undefined;
}

/** {@link StreamLocationOptions} with defaults applied. */
export interface ResolvedStreamLocation {
  readonly url: string;
  readonly redisOptions: RedisOptions;
  readonly key: string;
}

/** Validates and defaults the shared options; throws `TypeError`s. */
export function resolveStreamLocation(options: StreamLocationOptions): ResolvedStreamLocation {
  checkObject('redisOptions', options.redisOptions);
  return {
    url: options.url === undefined ? redisUrlFromEnv() : checkToken('url', options.url),
    redisOptions: options.redisOptions ?? {},
    key: options.key === undefined ? DEFAULT_STREAM_KEY : checkToken('key', options.key),
  };
}
