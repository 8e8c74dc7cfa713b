import {
  type AgentId,
  checkInteger,
  checkOptions,
  describeValue,
  type InvalidationSink,
  type Scheduler,
  systemScheduler,
  withDefault,
} from '@aa/core';
import type { InvalidationError } from './invalidation-error.js';

/**
 * The settings every invalidation subscriber takes, whatever its transport,
 * with the same names, meanings and defaults.
 */
export interface SubscriberOptions {
  /**
   * What the events drive, one sink or several (applied in order): each
   * invalidation calls `invalidate(agentId)`, each clear `clear()`. An `L1Cache`
   * is a sink. See {@link InvalidationSubscriber} for a sink that throws, is
   * slow, or returns a promise.
   */
  readonly sink: InvalidationSink<AgentId> | readonly InvalidationSink<AgentId>[];
  /**
   * The deadline, in milliseconds, for connecting and subscribing, and for each
   * reply after that (a heartbeat's, a close's): a step that takes longer counts
   * as a lost connection.
   *
   * @default 5_000
   */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * How often, in milliseconds, an idle connection proves it is alive. A peer
   * that goes silent without closing the connection (a hung server, a dropped
   * network path) is noticed within `heartbeatIntervalMs + connectTimeoutMs`,
   * and the subscriber reconnects. It cannot be turned off: without it such a
   * connection would look idle for ever, and every invalidation would be lost
   * until the operating system's TCP keep-alive gave up (hours by default).
   *
   * @default 5_000
   */
  readonly heartbeatIntervalMs?: number | undefined;
  /**
   * The backoff ceiling before the first reconnect attempt, in milliseconds; it
   * doubles with each failed attempt up to `maxReconnectDelayMs`, and each delay
   * is drawn from the upper half of the ceiling (jitter).
   *
   * @default 100
   */
  readonly reconnectDelayMs?: number | undefined;
  /** The cap on the backoff between reconnect attempts, in milliseconds. @default 5_000 */
  readonly maxReconnectDelayMs?: number | undefined;
  /**
   * How long a sink's returned promise may take, in milliseconds, before it
   * counts as failed (and that sink is cleared).
   *
   * @default 5_000
   */
  readonly sinkTimeoutMs?: number | undefined;
  /**
   * Told of everything that goes wrong without stopping the subscriber: a lost
   * connection or failed attempt (`Connection`, `Timeout`), a malformed event
   * (`Malformed`, the sinks were cleared), a failing sink (`Sink`, that sink was
   * cleared). Must not throw; if it does, the error is ignored.
   *
   * @default emits a process warning (`process.emitWarning`)
   */
  readonly onError?: ((error: InvalidationError) => void) | undefined;
  /**
   * The source of jitter, numbers in `[0, 1)`; inject one for predictable
   * backoff. A draw that throws or falls outside `[0, 1]` counts as 1 (the full
   * backoff ceiling).
   *
   * @default Math.random
   */
  readonly random?: (() => number) | undefined;
  /**
   * Where every wait (backoff, deadlines, heartbeats) is timed: inject a
   * `ManualScheduler` from `@aa/testing` to test without sleeping.
   *
   * @default systemScheduler
   */
  readonly scheduler?: Scheduler | undefined;
}

/** {@link SubscriberOptions} checked, with defaults applied. */
export interface ResolvedSubscriberOptions {
  /** `sink`, as an array. */
  readonly sinks: readonly InvalidationSink<AgentId>[];
  /** See {@link SubscriberOptions.connectTimeoutMs}. */
  readonly connectTimeoutMs: number;
  /** See {@link SubscriberOptions.heartbeatIntervalMs}. */
  readonly heartbeatIntervalMs: number;
  /** See {@link SubscriberOptions.reconnectDelayMs}. */
  readonly reconnectDelayMs: number;
  /** See {@link SubscriberOptions.maxReconnectDelayMs}. */
  readonly maxReconnectDelayMs: number;
  /** See {@link SubscriberOptions.sinkTimeoutMs}. */
  readonly sinkTimeoutMs: number;
  /** See {@link SubscriberOptions.onError}. */
  readonly onError: (error: InvalidationError) => void;
  /** See {@link SubscriberOptions.random}. */
  readonly random: () => number;
  /** See {@link SubscriberOptions.scheduler}. */
  readonly scheduler: Scheduler;
}

/** The defaults of {@link SubscriberOptions}, the same for every transport. */
export const SUBSCRIBER_DEFAULTS = Object.freeze({
  connectTimeoutMs: 5_000,
  heartbeatIntervalMs: 5_000,
  reconnectDelayMs: 100,
  maxReconnectDelayMs: 5_000,
  sinkTimeoutMs: 5_000,
});

const COMMON_OPTION_NAMES: readonly (keyof SubscriberOptions)[] = [
  'sink',
  'connectTimeoutMs',
  'heartbeatIntervalMs',
  'reconnectDelayMs',
  'maxReconnectDelayMs',
  'sinkTimeoutMs',
  'onError',
  'random',
  'scheduler',
];
const HOUR_MS = 3_600_000;
/** Below this, a heartbeat is a busy loop rather than a liveness check. */
const MIN_HEARTBEAT_MS = 100;

/**
 * Checks a subscriber's options once, at construction: the shape (an object
 * with no unknown option: `transportOptionNames` are the transport's own), then
 * the common ones, with defaults applied. The transport checks its own values.
 *
 * @returns the common options resolved, and `input` typed as `T` for the rest.
 * @throws {TypeError} "Expected `option` to be …, got …", naming the first bad
 *   option, or an unknown one.
 */
export function resolveSubscriberOptions<T extends SubscriberOptions>(
  input: unknown,
  transportOptionNames: readonly (keyof T & string)[],
): { readonly options: T; readonly resolved: ResolvedSubscriberOptions } {
  if (input === undefined) {
    throw new TypeError('Expected `options` to be an object, got `undefined`');
  }
  const options = checkOptions<T>(
    input,
    new Set([...COMMON_OPTION_NAMES, ...transportOptionNames]),
  );
  const reconnectDelayMs = duration(options, 'reconnectDelayMs', 1);
  const maxReconnectDelayMs = duration(options, 'maxReconnectDelayMs', reconnectDelayMs, {
    default: Math.max(SUBSCRIBER_DEFAULTS.maxReconnectDelayMs, reconnectDelayMs),
    floorName: '`reconnectDelayMs`',
  });
  const onError = withDefault(options.onError, (error: InvalidationError) =>
    process.emitWarning(error),
  );
  if (typeof onError !== 'function') {
    throw new TypeError(`Expected \`onError\` to be a function, got ${describeValue(onError)}`);
  }
  const random = withDefault(options.random, Math.random);
  if (typeof random !== 'function') {
    throw new TypeError(`Expected \`random\` to be a function, got ${describeValue(random)}`);
  }
  const scheduler = withDefault(options.scheduler, systemScheduler);
  if (
    typeof scheduler !== 'object' ||
    scheduler === null ||
    typeof scheduler.now !== 'function' ||
    typeof scheduler.setTimeout !== 'function' ||
    typeof scheduler.clearTimeout !== 'function'
  ) {
    throw new TypeError(
      `Expected \`scheduler\` to have \`now()\`, \`setTimeout()\` and \`clearTimeout()\`, got ${describeValue(scheduler)}`,
    );
  }
  const heartbeat = options.heartbeatIntervalMs;
  if (heartbeat === 0) {
    throw new TypeError(
      'Expected `heartbeatIntervalMs` to be an integer from 100 to 3600000, got 0: heartbeats cannot be turned off, since a connection that went silent would then lose every invalidation unnoticed',
    );
  }
  return {
    options,
    resolved: Object.freeze({
      sinks: checkSinks(options.sink),
      connectTimeoutMs: duration(options, 'connectTimeoutMs', 1),
      heartbeatIntervalMs: duration(options, 'heartbeatIntervalMs', MIN_HEARTBEAT_MS),
      reconnectDelayMs,
      maxReconnectDelayMs,
      sinkTimeoutMs: duration(options, 'sinkTimeoutMs', 1),
      onError,
      random,
      scheduler,
    }),
  };
}

function duration(
  options: SubscriberOptions,
  name: keyof typeof SUBSCRIBER_DEFAULTS,
  min: number,
  bound?: { readonly default: number; readonly floorName: string },
): number {
  return checkInteger(
    name,
    withDefault(options[name], bound?.default ?? SUBSCRIBER_DEFAULTS[name]),
    min,
    HOUR_MS,
    bound === undefined ? undefined : `${bound.floorName} (${min})`,
  );
}

function checkSinks(sink: unknown): readonly InvalidationSink<AgentId>[] {
  const sinks: readonly unknown[] = Array.isArray(sink) ? sink : [sink];
  if (sinks.length === 0) {
    throw new TypeError('Expected `sink` to be a sink or a non-empty array of sinks, got `[]`');
  }
  // An index loop, not forEach: forEach skips the holes of a sparse array.
  for (let index = 0; index < sinks.length; index++) {
    const candidate = sinks[index];
    const value = candidate as Partial<InvalidationSink<AgentId>> | null;
    if (
      typeof value !== 'object' ||
      value === null ||
      typeof value.invalidate !== 'function' ||
      typeof value.clear !== 'function'
    ) {
      const name = Array.isArray(sink) ? `sink[${index}]` : 'sink';
      throw new TypeError(
        `Expected \`${name}\` to have \`invalidate()\` and \`clear()\` methods, got ${describeValue(candidate)}`,
      );
    }
  }
  return Object.freeze([...sinks]) as readonly InvalidationSink<AgentId>[];
}
