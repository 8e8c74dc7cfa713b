import {
  type AgentId,
  type LoadOptions,
  type OrgId,
  type PolicyDocument,
  type TenantAgentKey,
  type TenantPolicySource,
  type TenantPolicyStore,
  tenantPolicySource,
} from '@aa/core';
import type { L2Generation, RedisPolicyCache } from './redis-policy-cache.js';

/** What a {@link TieredPolicySource} reads through. */
export interface TieredPolicySourceOptions {
  /** The shared L2. */
  readonly l2: RedisPolicyCache;
  /** The source of truth an L2 miss reads, under the key's tenant (a `PgPolicyStore`). */
  readonly origin: Pick<TenantPolicyStore, 'getPolicyForTenant'>;
}

/** Cumulative counters of a {@link TieredPolicySource}. */
export interface TieredSourceStats {
  /** Loads answered from the L2. */
  l2Hits: number;
  /** Loads the L2 did not hold. */
  l2Misses: number;
  /** L2 values that were not valid documents: a miss each, overwritten by the fill. */
  l2Malformed: number;
  /** L2 reads that failed or timed out: the load fell through to the origin, unfilled. */
  l2Errors: number;
  /** Loads that read the origin. */
  originLoads: number;
  /** Documents stored in the L2 after an origin load. */
  fills: number;
  /** Fills refused because the agent or the L2 was invalidated since the L2 read. */
  fillsRefused: number;
  /** Fills that failed or timed out (the load still answered). */
  fillErrors: number;
}

/**
 * The `CacheSource<TenantAgentKey, PolicyDocument>` of a fleet: L1 (the
 * `L1Cache` over this source) → L2 (a {@link RedisPolicyCache} shared by every
 * instance) → origin (Postgres). A load reads the L2; on a miss it reads the
 * origin under the key's tenant and fills the L2, unless the agent was
 * invalidated since the L2 read (the fill is then refused: no stale fill).
 *
 * The L2 is an optimisation, never a new point of failure: an L2 read that
 * fails or outlasts the L2's `timeoutMs` falls through to the origin (and
 * fills nothing), a failed fill only counts. Origin errors (`NotFound`
 * included) pass through unchanged and fill nothing.
 *
 * Stampede protection is the `L1Cache`'s: it makes one load per key per
 * instance. Across instances nothing coordinates the misses, so K instances
 * cold on one key cost the origin between 1 and K reads, depending on how far
 * apart they ask (`pnpm bench:l2` measures it).
 *
 * @example
 * const source = new TieredPolicySource({ l2, origin: pgStore });
 * const policies = new L1Cache(source, { ttlMs: 60_000 });
 * const sink = tenantInvalidationSink(policies, source.orgs);
 */
export class TieredPolicySource implements TenantPolicySource {
  readonly #l2: RedisPolicyCache;
  readonly #origin: Pick<TenantPolicyStore, 'getPolicyForTenant'>;
  /** Decodes the key and records its tenant, as every store's tenant source does. */
  readonly #tenants = tenantPolicySource({
    getPolicyForTenant: (orgId, agentId, options) => this.#readThrough(orgId, agentId, options),
  });
  readonly #stats: TieredSourceStats = {
    l2Hits: 0,
    l2Misses: 0,
    l2Malformed: 0,
    l2Errors: 0,
    originLoads: 0,
    fills: 0,
    fillsRefused: 0,
    fillErrors: 0,
  };

  constructor(options: TieredPolicySourceOptions) {
    this.#l2 = options.l2;
    this.#origin = options.origin;
  }

  /** Every tenant a load was started for; see `TenantPolicySource.orgs`. */
  get orgs(): ReadonlySet<OrgId> {
    return this.#tenants.orgs;
  }

  /**
   * The document of `key`'s agent under `key`'s tenant, from the L2 or else the
   * origin. A forged key rejects with an `InvalidIdError` and reads nothing.
   */
  load(key: TenantAgentKey, options?: LoadOptions): Promise<PolicyDocument> {
    return this.#tenants.load(key, options);
  }

  /** A copy of the counters. */
  stats(): TieredSourceStats {
    return { ...this.#stats };
  }

  async #readThrough(
    orgId: OrgId,
    agentId: AgentId,
    options: LoadOptions | undefined,
  ): Promise<PolicyDocument> {
    let generation: L2Generation | undefined;
    try {
      const found = await this.#l2.read(orgId, agentId);
      if (found.kind === 'hit') {
        this.#stats.l2Hits++;
        return found.document;
      }
      this.#stats[found.kind === 'miss' ? 'l2Misses' : 'l2Malformed']++;
      generation = found.generation;
    } catch {
      this.#stats.l2Errors++;
    }
    options?.signal?.throwIfAborted();
    this.#stats.originLoads++;
    const document = await this.#origin.getPolicyForTenant(orgId, agentId, options);
    if (generation !== undefined) await this.#fill(orgId, agentId, document, generation);
    return document;
  }

  async #fill(
    orgId: OrgId,
    agentId: AgentId,
    document: PolicyDocument,
    generation: L2Generation,
  ): Promise<void> {
    try {
      const stored = await this.#l2.fill(orgId, agentId, document, generation);
      this.#stats[stored ? 'fills' : 'fillsRefused']++;
    } catch {
      this.#stats.fillErrors++;
    }
  }
}
