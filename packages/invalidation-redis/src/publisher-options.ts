import { describeValue } from '@aa/core';
import type { Redis } from 'ioredis';
import { checkInteger } from './option-checks.js';
import {
  type ResolvedStreamLocation,
  resolveStreamLocation,
  type StreamLocationOptions,
} from './stream-options.js';

/** How the stream is trimmed on each append. */
export type Trimming = 'approximate' | 'exact';

/** Settings of a {@link RedisInvalidationPublisher}. */
export interface RedisInvalidationPublisherOptions extends StreamLocationOptions {
  /**
   * An `ioredis` client to publish through, shared with the rest of the
   * application: the publisher neither configures nor closes it. Mutually
   * exclusive with `url` and `redisOptions`. Its `keyPrefix`, if any, applies
   * to `key`. Without it, the publisher owns one connection, opened on the first
   * publish and anew after it ended.
   */
  readonly client?: Redis | undefined;
  /**
   * How many entries the stream keeps: the history a subscriber can be behind
   * by (disconnected, or slow) and still resume without clearing its sinks. An
   * entry is about 100 bytes, so the default costs about 1 MB of Redis memory.
   *
   * @default 10_000
   */
  readonly maxLen?: number | undefined;
  /**
   * `'approximate'` appends with `MAXLEN ~ maxLen`: Redis removes only whole
   * internal nodes (100 entries each by default), so the stream holds somewhat
   * more than `maxLen` entries, and trimming is cheap. `'exact'` appends with
   * `MAXLEN = maxLen`, at a small cost per append. Subscribers detect a gap
   * either way.
   *
   * @default 'approximate'
   */
  readonly trimming?: Trimming | undefined;
}

/** {@link RedisInvalidationPublisherOptions} with defaults applied. */
export interface ResolvedPublisherOptions extends ResolvedStreamLocation {
  readonly client: Redis | undefined;
  readonly maxLen: number;
  readonly trimming: Trimming;
}

/** The largest `maxLen` accepted: far beyond any sensible history. */
const MAX_MAX_LEN = 100_000_000;

/**
 * Validates and defaults a publisher's options.
 * @throws {TypeError} naming the first invalid option.
 */
export function resolvePublisherOptions(
  options: RedisInvalidationPublisherOptions = {},
): ResolvedPublisherOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(options)}`);
  }
  const { client } = options;
  if (client !== undefined) {
    if (typeof client !== 'object' || client === null || typeof client.xadd !== 'function') {
      throw new TypeError(
        `Expected \`client\` to be an ioredis client, got ${describeValue(client)}`,
      );
    }
    if (options.url !== undefined || options.redisOptions !== undefined) {
      throw new TypeError(
        'Expected either `client` or `url`/`redisOptions`, got both: a shared client is used as it is configured',
      );
    }
  }
  const trimming = options.trimming ?? 'approximate';
  if (trimming !== 'approximate' && trimming !== 'exact') {
    throw new TypeError(
      `Expected \`trimming\` to be 'approximate' or 'exact', got ${describeValue(trimming)}`,
    );
  }
  return {
    ...resolveStreamLocation(options),
    client,
    maxLen: checkInteger('maxLen', options.maxLen ?? 10_000, 1, MAX_MAX_LEN),
    trimming,
  };
}
