import { checkInteger, checkOptions, describeValue } from '@aa/core';
import type { Redis } from 'ioredis';

/** Settings of a `RedisPolicyCache`. */
export interface RedisPolicyCacheOptions {
  /**
   * A client to use; the cache never closes it. Give it `enableOfflineQueue:
   * false`, so a command to a disconnected server fails at once instead of
   * waiting in the client's queue (the cache's own deadline still bounds it).
   * Exclusive with `url`.
   */
  readonly client?: Redis | undefined;
  /**
   * Where to connect when no `client` is given; the cache then owns the
   * connection and `close()` ends it.
   * @default 'redis://127.0.0.1:6379'
   */
  readonly url?: string | undefined;
  /**
   * How long a filled document lives: upstream's `SET … EX`, 300 s suggested.
   * @default 300
   */
  readonly ttlSeconds?: number | undefined;
  /**
   * The longest any one Redis call may take. Past it the call fails (a read of
   * a tiered source then falls through to its origin), so a Redis that is
   * down or silent costs a read at most this long, never a hang.
   * @default 250
   */
  readonly timeoutMs?: number | undefined;
  /**
   * How long an agent's generation outlives its last invalidation. It must
   * exceed the longest a fill can take from its read to its write (which the
   * origin's own deadline bounds to seconds), or a fill that began before an
   * invalidation could pass its check once the generation has expired.
   * @default 86_400
   */
  readonly generationTtlSeconds?: number | undefined;
}

/** Defaults of {@link RedisPolicyCacheOptions}. */
export const REDIS_POLICY_CACHE_DEFAULTS = Object.freeze({
  url: 'redis://127.0.0.1:6379',
  ttlSeconds: 300,
  timeoutMs: 250,
  generationTtlSeconds: 86_400,
});

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'client',
  'url',
  'ttlSeconds',
  'timeoutMs',
  'generationTtlSeconds',
]);
const MAX_TIMER_MS = 2 ** 31 - 1;
// Redis takes an EX of up to a signed 64-bit count; a year is plenty and safe.
const MAX_SECONDS = 366 * 86_400;
const MIN_GENERATION_TTL_SECONDS = 60;

/** {@link RedisPolicyCacheOptions} checked, with defaults applied. */
export interface ResolvedCacheOptions {
  readonly client: Redis | undefined;
  readonly url: string;
  readonly ttlSeconds: number;
  readonly timeoutMs: number;
  readonly generationTtlSeconds: number;
}

/**
 * Checks the options once, reading each exactly once, and fills in defaults.
 * @throws {TypeError} "Expected … got …".
 */
export function resolveCacheOptions(input: unknown): ResolvedCacheOptions {
  const options = checkOptions<RedisPolicyCacheOptions>(input, KNOWN_OPTIONS);
  const { client, url } = options;
  if (client !== undefined && !isRedisClient(client)) {
    throw new TypeError(`Expected \`client\` to be an ioredis Redis, got ${describeValue(client)}`);
  }
  const keyPrefix = (client as { options?: { keyPrefix?: unknown } } | undefined)?.options
    ?.keyPrefix;
  if (keyPrefix !== undefined && keyPrefix !== '') {
    // The keys must be upstream's to the letter, and SCAN patterns ignore the prefix.
    throw new TypeError(
      `Expected \`client\` to have no \`keyPrefix\`, got ${describeValue(keyPrefix)}`,
    );
  }
  if (client !== undefined && url !== undefined) {
    throw new TypeError('Expected `client` or `url`, got both');
  }
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
    throw new TypeError(
      `Expected \`url\` to be a redis:// or rediss:// URL, got ${describeValue(url)}`,
    );
  }
  return Object.freeze({
    client,
    url: url ?? REDIS_POLICY_CACHE_DEFAULTS.url,
    ttlSeconds: integer(options.ttlSeconds, 'ttlSeconds', 1, MAX_SECONDS),
    timeoutMs: integer(options.timeoutMs, 'timeoutMs', 1, MAX_TIMER_MS),
    generationTtlSeconds: integer(
      options.generationTtlSeconds,
      'generationTtlSeconds',
      MIN_GENERATION_TTL_SECONDS,
      MAX_SECONDS,
    ),
  });
}

/** An ioredis client, by its shape: a user's app may hold another copy of ioredis. */
function isRedisClient(value: unknown): value is Redis {
  const candidate = value as Partial<Redis> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.evalsha === 'function' &&
    typeof candidate.eval === 'function' &&
    typeof candidate.scan === 'function' &&
    typeof candidate.status === 'string'
  );
}

function integer(
  value: unknown,
  name: keyof typeof REDIS_POLICY_CACHE_DEFAULTS,
  min: number,
  max: number,
): number {
  return checkInteger(name, value ?? REDIS_POLICY_CACHE_DEFAULTS[name], min, max);
}
