import { randomUUID } from 'node:crypto';
import { checkInteger, checkToken, describeValue, withDefault } from '@aa/core';
import {
  type ResolvedSubscriberOptions,
  resolveSubscriberOptions,
  type SubscriberOptions,
} from '@aa/invalidation';
import { isStreamId } from './stream-id.js';
import {
  type ResolvedStreamLocation,
  resolveStreamLocation,
  type StreamLocationOptions,
} from './stream-options.js';

/**
 * Settings of a {@link RedisInvalidationSubscriber}: the options every
 * invalidation subscriber takes (`sink`, `connectTimeoutMs`,
 * `heartbeatIntervalMs`, backoff, `onError`, `scheduler`, …; see
 * `@aa/invalidation`), where the stream lives, and these.
 *
 * `heartbeatIntervalMs` is how long each blocking `XREAD` waits on the server
 * before returning empty: it delays nothing (an event wakes the read at once),
 * and a read unanswered after `heartbeatIntervalMs + connectTimeoutMs` drops the
 * connection and reconnects.
 */
export interface RedisInvalidationSubscriberOptions
  extends SubscriberOptions,
    StreamLocationOptions {
  /**
   * Where to start reading.
   * - `'$'`: events published from now on. The subscriber reads the stream's
   *   newest id when it first connects, then clears its sinks once, so anything
   *   a sink loaded before that moment is dropped too: a fresh instance is
   *   consistent from `ready` on, whenever its cache was filled.
   * - an entry id, such as the `lastId` of an earlier subscriber feeding the same
   *   sinks: resume after it without clearing, unless the events after it are
   *   no longer all kept, in which case the sinks are cleared.
   *
   * @default '$'
   */
  readonly startId?: string | undefined;
  /** The most entries one `XREAD` returns. @default 100 */
  readonly batchSize?: number | undefined;
  /**
   * The name the subscriber's connection takes (`CLIENT SETNAME`), as shown by
   * `CLIENT LIST`: set it to find (or kill) the connection from the server side.
   *
   * @default `aa-invalidation-` followed by 8 random hex digits
   */
  readonly connectionName?: string | undefined;
}

/** What a Redis stream connection needs: where, and how to read. */
export interface StreamReaderSettings extends ResolvedStreamLocation {
  readonly batchSize: number;
  readonly connectionName: string;
  readonly connectTimeoutMs: number;
  /** The `XREAD BLOCK` time: the subscriber's `heartbeatIntervalMs`. */
  readonly blockMs: number;
}

/** {@link RedisInvalidationSubscriberOptions} checked, with defaults applied. */
export interface ResolvedRedisSubscriberOptions {
  /** The options every subscriber takes. */
  readonly common: ResolvedSubscriberOptions;
  readonly reader: StreamReaderSettings;
  /** `undefined` for `'$'`. */
  readonly startId: string | undefined;
}

const REDIS_OPTION_NAMES = [
  'url',
  'redisOptions',
  'key',
  'startId',
  'batchSize',
  'connectionName',
] as const satisfies readonly (keyof RedisInvalidationSubscriberOptions)[];

/**
 * Validates and defaults a subscriber's options.
 * @throws {TypeError} naming the first invalid or unknown option.
 */
export function resolveRedisSubscriberOptions(input: unknown): ResolvedRedisSubscriberOptions {
  const { options, resolved } = resolveSubscriberOptions<RedisInvalidationSubscriberOptions>(
    input,
    [...REDIS_OPTION_NAMES],
  );
  const startId = withDefault(options.startId, '$');
  if (startId !== '$' && !isStreamId(startId)) {
    throw new TypeError(
      `Expected \`startId\` to be '$' or a stream id like '1718000000000-0', got ${describeValue(startId)}`,
    );
  }
  return {
    common: resolved,
    startId: startId === '$' ? undefined : startId,
    reader: {
      ...resolveStreamLocation(options),
      batchSize: checkInteger('batchSize', withDefault(options.batchSize, 100), 1, 100_000),
      connectionName:
        options.connectionName === undefined
          ? `aa-invalidation-${randomUUID().slice(0, 8)}`
          : checkToken('connectionName', options.connectionName),
      connectTimeoutMs: resolved.connectTimeoutMs,
      blockMs: resolved.heartbeatIntervalMs,
    },
  };
}
