import { waitUntil } from '@aa/test-infra';
import { compareStreamIds, type RedisInvalidationSubscriber } from '../../src/index.js';

/** Waits until `subscriber` has applied the entry `id` (and everything before it). */
export function caughtUp(
  subscriber: RedisInvalidationSubscriber,
  id: string,
  timeoutMs = 5_000,
): Promise<void> {
  return waitUntil(
    () => subscriber.lastId !== undefined && compareStreamIds(subscriber.lastId, id) >= 0,
    `subscriber to reach entry ${id} (at ${subscriber.lastId})`,
    timeoutMs,
  );
}
