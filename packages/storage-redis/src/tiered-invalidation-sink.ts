import type { AgentId, InvalidationSink } from '@aa/core';
import type { RedisPolicyCache } from './redis-policy-cache.js';

/**
 * The sink an instance of a fleet gives its invalidation transport: for an
 * agent, it invalidates the L2 first (advancing the agent's generation and
 * deleting its documents) and only then the instance's own L1 (`local`, an
 * `L1Cache` or `tenantInvalidationSink(cache, source.orgs)`).
 *
 * The order matters. A transport may deliver a change (a NOTIFY at commit)
 * before the writer's own `l2.invalidate` has run; an L1 dropped first could
 * reload the old document from the L2 and keep it for its whole TTL. Dropped
 * after the L2, its reload misses the L2 and reads the new one. It also covers
 * writers that never invalidate the L2 themselves, and refuses every fill in
 * flight since before the change.
 *
 * `clear()` (a transport that may have missed events) clears only `local`: the
 * L2 is kept consistent by the invalidations of every instance and writer, and
 * clearing it on every reconnect of every instance would empty it for the
 * fleet. Never rejects: a failure of either step goes to `onError`, and the L1
 * is invalidated even when the L2 could not be.
 *
 * @example
 * const sink = tieredInvalidationSink(l2, tenantInvalidationSink(policies, source.orgs));
 * new PgInvalidationSubscriber({ connection, sink });
 */
export function tieredInvalidationSink(
  l2: Pick<RedisPolicyCache, 'invalidate'>,
  local: InvalidationSink<AgentId>,
  onError: (error: unknown) => void = () => {},
): InvalidationSink<AgentId> {
  const report = (error: unknown) => {
    try {
      onError(error);
    } catch {
      // A throwing reporter must not break the invalidation it reports on.
    }
  };
  return Object.freeze({
    async invalidate(agentId: AgentId): Promise<void> {
      try {
        await l2.invalidate(agentId);
      } catch (error) {
        report(error);
      }
      try {
        await local.invalidate(agentId);
      } catch (error) {
        report(error);
      }
    },
    async clear(): Promise<void> {
      try {
        await local.clear();
      } catch (error) {
        report(error);
      }
    },
  });
}
