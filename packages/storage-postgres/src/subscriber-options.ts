import { type AgentId, checkOptions, describeValue, type InvalidationSink } from '@aa/core';
import type { ClientConfig } from 'pg';
import { checkChannelName, policyChannel } from './policy-channel.js';
import { checkSchemaName, DEFAULT_SCHEMA } from './schema-name.js';

/** Settings of a {@link PgInvalidationSubscriber}. */
export interface PgInvalidationSubscriberOptions {
  /**
   * Where to connect: a connection URL or a `pg.ClientConfig`. The subscriber
   * opens its own dedicated `pg.Client` from it (a LISTEN holds a session, so it
   * cannot borrow a pooled connection), and a new one on every reconnect.
   * `connectionTimeoutMillis` is replaced by `connectTimeoutMs`, and TCP
   * keep-alive is switched on.
   */
  readonly connection: string | ClientConfig;
  /**
   * What each notification drives: `invalidate(id)` for a notification whose
   * payload is an agent id, `clear()` for an empty payload, a malformed one, and
   * after every (re)connect. An `L1Cache<AgentId, PolicyDocument>` is one.
   */
  readonly sink: InvalidationSink<AgentId>;
  /**
   * The schema whose default channel to listen on, as given to the
   * {@link PgPolicyStore}. Ignored when `channel` is set.
   *
   * @default 'public'
   */
  readonly schema?: string | undefined;
  /**
   * The channel to LISTEN on; must be the store's.
   *
   * @default policyChannel(schema), `'aa_policies.<schema>'`
   */
  readonly channel?: string | undefined;
  /**
   * The longest a connection attempt, its `LISTEN`, or a heartbeat may take
   * before the connection counts as lost.
   *
   * @default 5_000
   */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * The backoff before the first reconnect attempt; it doubles on each failed
   * attempt up to `maxReconnectDelayMs`, and each delay is jittered between half
   * and all of it.
   *
   * @default 100
   */
  readonly reconnectDelayMs?: number | undefined;
  /**
   * The cap on the backoff between reconnect attempts.
   *
   * @default 10_000
   */
  readonly maxReconnectDelayMs?: number | undefined;
  /**
   * How often to check the connection with `SELECT 1` while listening; `0` turns
   * it off. A LISTEN connection only reads, so without it a connection silently
   * cut by the network (no RST: a NAT timeout, a failed-over host) would go
   * unnoticed, and every invalidation with it, until TCP keep-alive gives up.
   *
   * @default 10_000
   */
  readonly heartbeatIntervalMs?: number | undefined;
  /**
   * Told of everything that goes wrong without stopping the subscriber: lost
   * connections and failed attempts (`Backend` `StorageError`s), malformed
   * payloads (`Serialization`), and errors thrown by the sink. Errors are not
   * thrown anywhere else; without `onError` they are only counted in `stats()`.
   *
   * @default undefined
   */
  readonly onError?: ((error: Error) => void) | undefined;
  /**
   * The source of jitter, numbers in [0, 1); inject one to make backoff delays
   * predictable in tests.
   *
   * @default Math.random
   */
  readonly random?: (() => number) | undefined;
}

/** {@link PgInvalidationSubscriberOptions} checked, with defaults applied. */
export interface ResolvedSubscriberOptions {
  readonly clientConfig: ClientConfig;
  readonly sink: InvalidationSink<AgentId>;
  readonly channel: string;
  readonly connectTimeoutMs: number;
  readonly reconnectDelayMs: number;
  readonly maxReconnectDelayMs: number;
  readonly heartbeatIntervalMs: number;
  readonly onError: ((error: Error) => void) | undefined;
  readonly random: () => number;
}

/** Defaults of {@link PgInvalidationSubscriberOptions}. */
export const SUBSCRIBER_DEFAULTS = Object.freeze({
  schema: DEFAULT_SCHEMA,
  connectTimeoutMs: 5_000,
  reconnectDelayMs: 100,
  maxReconnectDelayMs: 10_000,
  heartbeatIntervalMs: 10_000,
});

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'connection',
  'sink',
  'schema',
  'channel',
  'connectTimeoutMs',
  'reconnectDelayMs',
  'maxReconnectDelayMs',
  'heartbeatIntervalMs',
  'onError',
  'random',
]);
// setTimeout's ceiling: a longer delay would fire at once.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Checks `input` once, at construction, and fills in the defaults.
 * @throws {TypeError} "Expected `option` to be …, got …".
 */
export function resolveSubscriberOptions(input: unknown): ResolvedSubscriberOptions {
  // Required: `connection` and `sink` have no defaults.
  if (input === undefined) {
    throw new TypeError('Expected `options` to be an object, got `undefined`');
  }
  const options = checkOptions<PgInvalidationSubscriberOptions>(input, KNOWN_OPTIONS);

  const { connection, sink } = options;
  let base: ClientConfig;
  if (typeof connection === 'string' && connection !== '') base = { connectionString: connection };
  else if (typeof connection === 'object' && connection !== null && !Array.isArray(connection)) {
    base = connection;
  } else {
    throw new TypeError(
      `Expected \`connection\` to be a connection URL or a pg.ClientConfig, got ${describeValue(connection)}`,
    );
  }
  if (
    typeof sink !== 'object' ||
    sink === null ||
    typeof sink.invalidate !== 'function' ||
    typeof sink.clear !== 'function'
  ) {
    throw new TypeError(
      `Expected \`sink\` to be an object with \`invalidate()\` and \`clear()\` methods, got ${describeValue(sink)}`,
    );
  }
  const channel =
    options.channel === undefined
      ? policyChannel(checkSchemaName(options.schema ?? SUBSCRIBER_DEFAULTS.schema))
      : checkChannelName(options.channel);
  const connectTimeoutMs = duration('connectTimeoutMs', options.connectTimeoutMs, 1);
  const reconnectDelayMs = duration('reconnectDelayMs', options.reconnectDelayMs, 1);
  const maxReconnectDelayMs = duration('maxReconnectDelayMs', options.maxReconnectDelayMs, 1);
  if (maxReconnectDelayMs < reconnectDelayMs) {
    throw new TypeError(
      `Expected \`maxReconnectDelayMs\` to be >= \`reconnectDelayMs\` (${reconnectDelayMs}), got ${describeValue(maxReconnectDelayMs)}`,
    );
  }
  const { onError } = options;
  if (onError !== undefined && typeof onError !== 'function') {
    throw new TypeError(`Expected \`onError\` to be a function, got ${describeValue(onError)}`);
  }
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') {
    throw new TypeError(`Expected \`random\` to be a function, got ${describeValue(random)}`);
  }

  return Object.freeze({
    clientConfig: {
      application_name: 'aa-invalidation-subscriber',
      ...base,
      connectionTimeoutMillis: connectTimeoutMs,
      keepAlive: true,
    },
    sink,
    channel,
    connectTimeoutMs,
    reconnectDelayMs,
    maxReconnectDelayMs,
    heartbeatIntervalMs: duration('heartbeatIntervalMs', options.heartbeatIntervalMs, 0),
    onError,
    random,
  });
}

function duration(name: keyof typeof SUBSCRIBER_DEFAULTS, value: unknown, min: 0 | 1): number {
  if (value === undefined) return SUBSCRIBER_DEFAULTS[name] as number;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < min ||
    value > MAX_TIMEOUT_MS
  ) {
    throw new TypeError(
      `Expected \`${name}\` to be an integer from ${min} to ${MAX_TIMEOUT_MS}, got ${describeValue(value)}`,
    );
  }
  return value;
}
