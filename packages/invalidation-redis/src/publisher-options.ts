import { checkInteger, checkOptions, describeValue, withDefault } from '@aa/core';
import type { Redis } from 'ioredis';
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
  /**
   * The deadline of one publish, in milliseconds, connecting included: a publish
   * not confirmed by then (a server that does not answer, a connection gone
   * silent) rejects with an `InvalidationError` `Unconfirmed`, and the
   * publisher's own connection is dropped so the next publish opens a fresh one.
   *
   * @default 5_000
   */
  readonly timeoutMs?: number | undefined;
  /**
   * How many replicas must acknowledge each entry (`WAIT`) before a publish
   * resolves; `0` does not wait. Redis replicates asynchronously, so a failover
   * to a replica that had not received an entry loses it, and nothing in the
   * stream shows the loss: subscribers never see that invalidation. With
   * `waitForReplicas: n`, a publish that fewer than `n` replicas acknowledged
   * within `replicaTimeoutMs` rejects (`Unconfirmed`), so the writer knows to
   * retry or fall back to `publishAll()`. It narrows the window; it does not
   * make Redis strongly consistent (see the README).
   *
   * @default 0
   */
  readonly waitForReplicas?: number | undefined;
  /** How long `WAIT` waits for `waitForReplicas` acknowledgements, in milliseconds; less than `timeoutMs`. @default 1_000 */
  readonly replicaTimeoutMs?: number | undefined;
}

/** {@link RedisInvalidationPublisherOptions} with defaults applied. */
export interface ResolvedPublisherOptions extends ResolvedStreamLocation {
  readonly client: Redis | undefined;
  readonly maxLen: number;
  readonly trimming: Trimming;
  readonly timeoutMs: number;
  readonly waitForReplicas: number;
  readonly replicaTimeoutMs: number;
}

/** The largest `maxLen` accepted: far beyond any sensible history. */
const MAX_MAX_LEN = 100_000_000;
const HOUR_MS = 3_600_000;
const PUBLISHER_OPTION_NAMES: ReadonlySet<string> = new Set([
  'url',
  'redisOptions',
  'key',
  'client',
  'maxLen',
  'trimming',
  'timeoutMs',
  'waitForReplicas',
  'replicaTimeoutMs',
] satisfies readonly (keyof RedisInvalidationPublisherOptions)[]);

/**
 * Validates and defaults a publisher's options.
 * @throws {TypeError} naming the first invalid option.
 */
export function resolvePublisherOptions(input?: unknown): ResolvedPublisherOptions {
  const options = checkOptions<RedisInvalidationPublisherOptions>(input, PUBLISHER_OPTION_NAMES);
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
  const trimming = withDefault(options.trimming, 'approximate');
  if (trimming !== 'approximate' && trimming !== 'exact') {
    throw new TypeError(
      `Expected \`trimming\` to be 'approximate' or 'exact', got ${describeValue(trimming)}`,
    );
  }
  const timeoutMs = checkInteger('timeoutMs', withDefault(options.timeoutMs, 5_000), 10, HOUR_MS);
  return {
    ...resolveStreamLocation(options),
    client,
    maxLen: checkInteger('maxLen', withDefault(options.maxLen, 10_000), 1, MAX_MAX_LEN),
    trimming,
    timeoutMs,
    waitForReplicas: checkInteger(
      'waitForReplicas',
      withDefault(options.waitForReplicas, 0),
      0,
      100,
    ),
    replicaTimeoutMs: checkInteger(
      'replicaTimeoutMs',
      withDefault(options.replicaTimeoutMs, Math.min(1_000, timeoutMs - 1)),
      1,
      timeoutMs - 1,
    ),
  };
}
