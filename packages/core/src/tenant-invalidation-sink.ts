import { AgentId } from './agent-id.js';
import { describeValue } from './describe-value.js';
import { InvalidIdError } from './invalid-id-error.js';
import type { InvalidationSink } from './invalidation-sink.js';
import { isThenable } from './is-thenable.js';
import type { OrgId } from './org-id.js';
import { TenantAgentKey } from './tenant-agent-key.js';

/**
 * Adapts a cache keyed by {@link TenantAgentKey} to the agent-level
 * invalidations every transport delivers (a NOTIFY, a stream entry, the
 * gateway's `PolicyInvalidated` name an agent, never a tenant): invalidating an
 * agent drops its entry under every tenant in `orgs`, loads in flight included,
 * and `clear()` clears the whole cache.
 *
 * Pass the `orgs` of the {@link TenantPolicySource} the cache loads through: it
 * holds every tenant a load was ever started for, so no entry, cached or in
 * flight, is missed. An invalidation costs one `invalidate` per tenant. If the
 * target throws for one tenant, the others are still invalidated and the first
 * error is rethrown; if it answers with promises (an async sink), the call
 * returns one that settles when they all have. A malformed agent id is an
 * `InvalidIdError` (a `TypeError`), whatever `orgs` holds.
 *
 * @example
 * const source = store.tenantSource();
 * const policies = new L1Cache(source, { ttlMs: 60_000 });
 * const subscriber = new PgInvalidationSubscriber({
 *   pool,
 *   sink: tenantInvalidationSink(policies, source.orgs),
 * });
 */
export function tenantInvalidationSink(
  target: InvalidationSink<TenantAgentKey>,
  orgs: Iterable<OrgId>,
): InvalidationSink<AgentId> {
  return Object.freeze({
    invalidate(agentId: AgentId): unknown {
      if (!AgentId.is(agentId)) {
        throw new InvalidIdError(
          'AgentId',
          `Expected \`agentId\` to be a canonical AgentId, got ${describeValue(agentId)}`,
        );
      }
      let failure: { error: unknown } | undefined;
      const pending: PromiseLike<unknown>[] = [];
      for (const orgId of orgs) {
        try {
          const result = target.invalidate(TenantAgentKey.of(orgId, agentId));
          if (isThenable(result)) pending.push(result);
        } catch (error) {
          failure ??= { error };
        }
      }
      if (failure !== undefined) {
        // The sync failure is what the caller hears; the others still run, and
        // their rejections must not go unhandled.
        for (const rejection of pending) rejection.then(undefined, () => {});
        throw failure.error;
      }
      return pending.length === 0 ? undefined : Promise.all(pending).then(() => undefined);
    },
    clear(): unknown {
      return target.clear();
    },
  });
}
