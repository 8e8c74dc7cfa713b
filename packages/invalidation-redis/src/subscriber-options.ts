import { randomUUID } from 'node:crypto';
import { type AgentId, describeValue, type InvalidationSink } from '@aa/core';
import type { RedisInvalidationError } from './errors.js';
import { checkInteger, checkToken } from './option-checks.js';
import { isStreamId } from './stream-id.js';
import {
  type ResolvedStreamLocation,
  resolveStreamLocation,
  type StreamLocationOptions,
} from './stream-options.js';

/** Settings of a {@link RedisInvalidationSubscriber}. */
export interface RedisInvalidationSubscriberOptions extends StreamLocationOptions {
  /**
   * What the events are applied to, in this order: each `invalidate` entry calls
   * `invalidate(agentId)` on every sink, each `publishAll` entry (and each
   * detected gap, and the start) calls `clear()`. An `L1Cache` is a sink. A
   * sink that returns a promise is awaited before the next event, so a slow
   * sink slows the subscriber down (and, past `maxLen` entries behind, makes it
   * detect a gap and clear).
   */
  readonly sinks: readonly InvalidationSink<AgentId>[];
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
  /**
   * How long each blocking `XREAD` waits on the server before returning empty,
   * in milliseconds. It delays nothing (an event wakes the read at once); it
   * sets how often an idle subscriber polls, and how long a silently dead
   * connection (a peer gone without closing the socket) goes unnoticed: a read
   * unanswered after `2 × blockMs + 1 s` drops the connection and reconnects.
   *
   * @default 5_000
   */
  readonly blockMs?: number | undefined;
  /** The most entries one `XREAD` returns. @default 100 */
  readonly batchSize?: number | undefined;
  /**
   * The delay ceiling before the first reconnect attempt, in milliseconds; it
   * doubles with each failed attempt up to `maxReconnectDelayMs`, and each delay
   * is drawn from the upper half of the ceiling (jitter).
   *
   * @default 100
   */
  readonly minReconnectDelayMs?: number | undefined;
  /** The cap on the delay between reconnect attempts, in milliseconds. @default 5_000 */
  readonly maxReconnectDelayMs?: number | undefined;
  /** How long one connection attempt may take, in milliseconds. @default 5_000 */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * The name the subscriber's connection takes (`CLIENT SETNAME`), as shown by
   * `CLIENT LIST`: set it to find (or kill) the connection from the server side.
   *
   * @default `aa-invalidation-` followed by 8 random hex digits
   */
  readonly connectionName?: string | undefined;
  /**
   * Receives what went wrong without stopping the subscriber: a malformed entry
   * (the sinks were cleared), a lost connection (it is reconnecting), a sink that
   * threw (that sink was cleared). Must not throw.
   *
   * @default emits a process warning (`process.emitWarning`)
   */
  readonly onError?: ((error: RedisInvalidationError) => void) | undefined;
}

/** {@link RedisInvalidationSubscriberOptions} with defaults applied. */
export interface ResolvedSubscriberOptions extends ResolvedStreamLocation {
  readonly sinks: readonly InvalidationSink<AgentId>[];
  readonly startId: string;
  readonly blockMs: number;
  readonly batchSize: number;
  readonly minReconnectDelayMs: number;
  readonly maxReconnectDelayMs: number;
  readonly connectTimeoutMs: number;
  readonly connectionName: string;
  readonly onError: (error: RedisInvalidationError) => void;
}

const HOUR_MS = 3_600_000;

/**
 * Validates and defaults a subscriber's options.
 * @throws {TypeError} naming the first invalid option.
 */
export function resolveSubscriberOptions(
  options: RedisInvalidationSubscriberOptions,
): ResolvedSubscriberOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(options)}`);
  }
  const sinks = checkSinks(options.sinks);
  const startId = options.startId ?? '$';
  if (startId !== '$' && !isStreamId(startId)) {
    throw new TypeError(
      `Expected \`startId\` to be '$' or a stream id like '1718000000000-0', got ${describeValue(startId)}`,
    );
  }
  const minReconnectDelayMs = checkInteger(
    'minReconnectDelayMs',
    options.minReconnectDelayMs ?? 100,
    1,
    HOUR_MS,
  );
  const maxReconnectDelayMs = checkInteger(
    'maxReconnectDelayMs',
    options.maxReconnectDelayMs ?? Math.max(5_000, minReconnectDelayMs),
    minReconnectDelayMs,
    HOUR_MS,
  );
  const onError = options.onError ?? ((error) => process.emitWarning(error));
  if (typeof onError !== 'function') {
    throw new TypeError(`Expected \`onError\` to be a function, got ${describeValue(onError)}`);
  }
  return {
    ...resolveStreamLocation(options),
    sinks,
    startId,
    blockMs: checkInteger('blockMs', options.blockMs ?? 5_000, 1, HOUR_MS),
    batchSize: checkInteger('batchSize', options.batchSize ?? 100, 1, 100_000),
    minReconnectDelayMs,
    maxReconnectDelayMs,
    connectTimeoutMs: checkInteger(
      'connectTimeoutMs',
      options.connectTimeoutMs ?? 5_000,
      1,
      HOUR_MS,
    ),
    connectionName:
      options.connectionName === undefined
        ? `aa-invalidation-${randomUUID().slice(0, 8)}`
        : checkToken('connectionName', options.connectionName),
    onError,
  };
}

function checkSinks(sinks: unknown): readonly InvalidationSink<AgentId>[] {
  if (!Array.isArray(sinks) || sinks.length === 0) {
    throw new TypeError(
      `Expected \`sinks\` to be a non-empty array of invalidation sinks, got ${describeValue(sinks)}`,
    );
  }
  sinks.forEach((sink: unknown, index) => {
    const candidate = sink as Partial<InvalidationSink<AgentId>> | null;
    if (
      typeof candidate !== 'object' ||
      candidate === null ||
      typeof candidate.invalidate !== 'function' ||
      typeof candidate.clear !== 'function'
    ) {
      throw new TypeError(
        `Expected \`sinks[${index}]\` to have \`invalidate()\` and \`clear()\` methods, got ${describeValue(sink)}`,
      );
    }
  });
  return [...sinks];
}
