import type { AgentId } from './agent-id.js';
import type { CacheSource, LoadOptions } from './cache-source.js';
import type { PolicyDocument } from './policy-document.js';

/**
 * The source of truth for agents' policies. Backends implement it and prove it
 * with the conformance suite in `@aa/testing/conformance`.
 */
export interface PolicyStore {
  /**
   * The effective policy of agent `id`.
   * @throws {StorageError} `NotFound` when the agent has no policy; `Backend`,
   *   `Serialization` when the backend fails or holds a malformed document.
   */
  getPolicy(id: AgentId, options?: LoadOptions): Promise<PolicyDocument>;
  /** Drops anything the store itself caches for `id`. Idempotent: absent ids succeed. */
  invalidate(id: AgentId): Promise<void>;
}

/**
 * Views a {@link PolicyStore} as the {@link CacheSource} an `L1Cache` fronts.
 *
 * @example
 * const cache = new L1Cache(asCacheSource(store), { ttlMs: 60_000 });
 */
export function asCacheSource(store: PolicyStore): CacheSource<AgentId, PolicyDocument> {
  return { load: (id, options) => store.getPolicy(id, options) };
}
