import { randomUUID } from 'node:crypto';
import { REDIS_URL, RedisTestBed } from '@aa/test-infra';
import {
  type InvalidationError,
  RedisInvalidationPublisher,
  type RedisInvalidationPublisherOptions,
  RedisInvalidationSubscriber,
  type RedisInvalidationSubscriberOptions,
  type SubscriberStats,
} from '../../src/index.js';

/**
 * The shared {@link RedisTestBed} (a key prefix, an admin connection, a
 * bounded dispose) with one invalidation stream under the prefix: the
 * publishers and subscribers made here are closed by `dispose()`, and the
 * errors those subscribers report are collected.
 */
export class StreamTestBed extends RedisTestBed {
  /** The test's stream key. */
  readonly key = `${this.prefix}:invalidation`;
  /** What the subscribers made here reported through `onError`. */
  readonly errors: InvalidationError[] = [];

  /** A publisher on this test's stream. */
  publisher(options: RedisInvalidationPublisherOptions = {}): RedisInvalidationPublisher {
    const publisher = new RedisInvalidationPublisher({ url: REDIS_URL, key: this.key, ...options });
    this.defer(() => publisher.close());
    return publisher;
  }

  /**
   * A subscriber on this test's stream, with a unique connection name, fast
   * reconnects, a short heartbeat (so a lost connection is noticed quickly), and
   * errors collected in {@link errors}.
   */
  subscriber(options: RedisInvalidationSubscriberOptions): RedisInvalidationSubscriber {
    const subscriber = new RedisInvalidationSubscriber({
      url: REDIS_URL,
      key: this.key,
      connectionName: `aa-test-${randomUUID()}`,
      reconnectDelayMs: 20,
      maxReconnectDelayMs: 200,
      heartbeatIntervalMs: 1_000,
      onError: (error) => this.errors.push(error),
      ...options,
    });
    this.defer(() => subscriber.close());
    return subscriber;
  }
}

/** The clears a subscriber made for a gap in the stream (not its start, a publishAll or a malformed entry). */
export function gapsOf(subscriber: { stats(): SubscriberStats }): number {
  const { clearCauses } = subscriber.stats();
  return GAP_REASONS.reduce((sum, reason) => sum + (clearCauses[reason] ?? 0), 0);
}

const GAP_REASONS = ['trimmed', 'deleted', 'stream-missing', 'stream-reset'] as const;
