import type { AgentId } from './agent-id.js';
import type { CacheSource, LoadOptions } from './cache-source.js';
import type { OrgId } from './org-id.js';
import type { PolicyDocument } from './policy-document.js';
import type { PolicyStore } from './policy-store.js';
import { TenantAgentKey } from './tenant-agent-key.js';

/**
 * The `CacheSource` one `L1Cache` needs to serve every tenant: it loads the
 * policy of the (tenant, agent) pair a {@link TenantAgentKey} names, under that
 * tenant's scope only. It also remembers which tenants it has loaded for, so an
 * invalidation that names only an agent can reach that agent's entries under
 * every tenant ({@link tenantInvalidationSink}).
 */
export interface TenantPolicySource extends CacheSource<TenantAgentKey, PolicyDocument> {
  /**
   * Loads the policy of `key`'s agent under `key`'s tenant. A forged or
   * malformed key rejects with an `InvalidIdError` (a `TypeError`) and reads
   * nothing.
   */
  load(key: TenantAgentKey, options?: LoadOptions): Promise<PolicyDocument>;
  /**
   * Every tenant a load was started for, live: a tenant is added before its
   * first read begins. Grows with the number of distinct tenants, which are
   * verified orgs, never request input.
   */
  readonly orgs: ReadonlySet<OrgId>;
}

/**
 * A {@link PolicyStore} that also reads under a verified tenant's scope, as
 * upstream's Postgres store does: `getPolicy(agentId)` is the tenant-less read,
 * scoped to the reserved system org.
 */
export interface TenantPolicyStore extends PolicyStore {
  /**
   * The effective policy of agent `agentId` under tenant `orgId`, which must be
   * the verified caller's org, never request input.
   * @throws {StorageError} `NotFound` when that tenant has no policy for the
   *   agent (another tenant's policy is never returned), and as
   *   {@link PolicyStore.getPolicy} otherwise.
   */
  getPolicyForTenant(
    orgId: OrgId,
    agentId: AgentId,
    options?: LoadOptions,
  ): Promise<PolicyDocument>;
  /** A new {@link TenantPolicySource} over this store, for one `L1Cache` keyed by tenant. */
  tenantSource(): TenantPolicySource;
}

/**
 * The {@link TenantPolicySource} that reads through `store`'s
 * `getPolicyForTenant`. Stores implement `tenantSource()` with it.
 *
 * @example
 * tenantSource(): TenantPolicySource {
 *   return tenantPolicySource(this);
 * }
 */
export function tenantPolicySource(
  store: Pick<TenantPolicyStore, 'getPolicyForTenant'>,
): TenantPolicySource {
  const orgs = new Set<OrgId>();
  return Object.freeze({
    orgs,
    async load(key: TenantAgentKey, options?: LoadOptions): Promise<PolicyDocument> {
      const orgId = TenantAgentKey.orgId(key);
      const agentId = TenantAgentKey.agentId(key);
      orgs.add(orgId);
      return store.getPolicyForTenant(orgId, agentId, options);
    },
  });
}
