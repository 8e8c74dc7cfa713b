import {
  type AgentId,
  isInvalidIdError,
  isStorageError,
  type OrgId,
  type PolicyDocument,
  type PolicyStore,
  SYSTEM_ORG_ID,
  TenantAgentKey,
  type TenantPolicyStore,
} from '@aa/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshAgentId, freshOrgId } from './fresh-ids.js';
import { samplePolicy } from './sample-policy.js';

export {
  type CodedError,
  type ConformanceBus,
  type ConformanceSubscriber,
  type ConformanceSubscriberOptions,
  describeInvalidationTransportConformance,
  type TransportConformanceHarness,
} from './transport-conformance.js';

/**
 * What {@link describePolicyStoreConformance} needs from a backend: a fresh
 * store, a way to put a policy into its source of truth, and optionally a way
 * to release what the store opened.
 */
export interface PolicyStoreFixture {
  /** The store under test. */
  readonly store: PolicyStore;
  /**
   * Writes `policy` for agent `id` straight into the backend (a row insert, a
   * key set), bypassing `store`, which has no write side.
   */
  seed(id: AgentId, policy: PolicyDocument): Promise<void> | void;
  /** Runs after each test: close clients, drop tables. */
  teardown?(): Promise<void> | void;
}

/**
 * Registers a vitest suite, `${name} conforms to PolicyStore`, proving that a
 * backend keeps the {@link PolicyStore} contract the cache relies on. `setup`
 * runs before each test and the fixture's `teardown` after it.
 *
 * Every test uses fresh random agent ids, so backends whose data outlives a
 * test (a shared database) need not be emptied between tests.
 *
 * Imported from `@aa/testing/conformance`, apart from `@aa/testing`, because it
 * imports vitest: the test doubles stay usable without it.
 *
 * @example
 * describePolicyStoreConformance('MemoryPolicyStore', () => {
 *   const store = new MemoryPolicyStore();
 *   return { store, seed: (id, policy) => void store.insert(id, policy) };
 * });
 */
export function describePolicyStoreConformance(
  name: string,
  setup: () => Promise<PolicyStoreFixture> | PolicyStoreFixture,
): void {
  describe(`${name} conforms to PolicyStore`, () => {
    const fixture = fixtureEachTest(setup);

    it('resolves getPolicy() of a seeded agent to the seeded document', async () => {
      const { store, seed } = fixture();
      const id = freshAgentId();
      await seed(id, samplePolicy(1));
      await expect(store.getPolicy(id)).resolves.toEqual(samplePolicy(1));
    });

    it('rejects getPolicy() of an unknown agent with a NotFound StorageError', async () => {
      const error = await rejectionOf(fixture().store.getPolicy(freshAgentId()));
      expect(isStorageError(error, 'NotFound'), `got ${String(error)}`).toBe(true);
    });

    it('reports a failure as a rejected promise, never a synchronous throw', async () => {
      const { store } = fixture();
      let pending: Promise<unknown> | undefined;
      expect(() => {
        pending = store.getPolicy(freshAgentId());
      }).not.toThrow();
      await expect(pending).rejects.toSatisfy((error) => isStorageError(error));
    });

    it('resolves invalidate() of a seeded agent', async () => {
      const { store, seed } = fixture();
      const id = freshAgentId();
      await seed(id, samplePolicy(1));
      await expect(store.invalidate(id)).resolves.toBeUndefined();
    });

    it('resolves invalidate() of an unknown agent, again and again', async () => {
      const { store } = fixture();
      const id = freshAgentId();
      await expect(store.invalidate(id)).resolves.toBeUndefined();
      await expect(store.invalidate(id)).resolves.toBeUndefined();
    });

    it('still returns the stored policy after invalidate()', async () => {
      const { store, seed } = fixture();
      const id = freshAgentId();
      await seed(id, samplePolicy(3));
      await store.getPolicy(id);
      await store.invalidate(id);
      await expect(store.getPolicy(id)).resolves.toEqual(samplePolicy(3));
    });

    it('keeps two agents apart', async () => {
      const { store, seed } = fixture();
      const first = freshAgentId();
      const second = freshAgentId();
      await seed(first, samplePolicy(1));
      await seed(second, samplePolicy(2));
      await expect(store.getPolicy(first)).resolves.toEqual(samplePolicy(1));
      await expect(store.getPolicy(second)).resolves.toEqual(samplePolicy(2));
    });
  });
}

/**
 * What {@link describeTenantPolicyStoreConformance} needs from a backend: a
 * fresh store and a way to put a policy into its source of truth under a
 * tenant.
 */
export interface TenantPolicyStoreFixture {
  /** The store under test. */
  readonly store: TenantPolicyStore;
  /**
   * Writes `policy` for agent `id` under tenant `orgId` straight into the
   * backend, bypassing `store`. The suite may seed one agent under two
   * tenants, with documents of different `version`s.
   */
  seed(orgId: OrgId, id: AgentId, policy: PolicyDocument): Promise<void> | void;
  /** Runs after each test: close clients, drop tables. */
  teardown?(): Promise<void> | void;
}

/**
 * Registers a vitest suite, `${name} keeps tenants apart`, proving that a
 * backend keeps the {@link TenantPolicyStore} contract: a read under one
 * tenant never returns another tenant's policy, the tenant-less read is the
 * system org's, and `tenantSource()` loads under the tenant its key names.
 * `setup` runs before each test and the fixture's `teardown` after it; every
 * test uses fresh random ids.
 *
 * @example
 * describeTenantPolicyStoreConformance('MemoryPolicyStore', () => {
 *   const store = new MemoryPolicyStore();
 *   return { store, seed: (orgId, id, policy) => void store.insert(id, policy, { orgId }) };
 * });
 */
export function describeTenantPolicyStoreConformance(
  name: string,
  setup: () => Promise<TenantPolicyStoreFixture> | TenantPolicyStoreFixture,
): void {
  describe(`${name} keeps tenants apart`, () => {
    const fixture = fixtureEachTest(setup);

    it("reads a tenant's policy under that tenant", async () => {
      const { store, seed } = fixture();
      const org = freshOrgId();
      const id = freshAgentId();
      await seed(org, id, samplePolicy(1));
      await expect(store.getPolicyForTenant(org, id)).resolves.toEqual(samplePolicy(1));
    });

    it("answers NotFound, never the other tenant's policy, under another tenant", async () => {
      const { store, seed } = fixture();
      const id = freshAgentId();
      await seed(freshOrgId(), id, samplePolicy(1));
      const error = await rejectionOf(store.getPolicyForTenant(freshOrgId(), id));
      expect(isStorageError(error, 'NotFound'), `got ${String(error)}`).toBe(true);
    });

    it('gives each tenant its own policy of one agent, read concurrently', async () => {
      const { store, seed } = fixture();
      const id = freshAgentId();
      const [first, second] = [freshOrgId(), freshOrgId()];
      await seed(first, id, samplePolicy(1));
      await seed(second, id, samplePolicy(2));
      const reads = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          store.getPolicyForTenant(index % 2 === 0 ? first : second, id),
        ),
      );
      reads.forEach((policy, index) => {
        expect(policy.version).toBe(index % 2 === 0 ? 1 : 2);
      });
    });

    it("reads the system org's policy through getPolicy(), and nobody else's", async () => {
      const { store, seed } = fixture();
      const system = freshAgentId();
      await seed(SYSTEM_ORG_ID, system, samplePolicy(3));
      await expect(store.getPolicy(system)).resolves.toEqual(samplePolicy(3));
      await expect(store.getPolicyForTenant(SYSTEM_ORG_ID, system)).resolves.toEqual(
        samplePolicy(3),
      );
      const tenants = freshAgentId();
      await seed(freshOrgId(), tenants, samplePolicy(4));
      const error = await rejectionOf(store.getPolicy(tenants));
      expect(isStorageError(error, 'NotFound'), `got ${String(error)}`).toBe(true);
    });

    it('loads through tenantSource() under the tenant its key names, and remembers it', async () => {
      const { store, seed } = fixture();
      const org = freshOrgId();
      const id = freshAgentId();
      await seed(org, id, samplePolicy(5));
      const source = store.tenantSource();
      await expect(source.load(TenantAgentKey.of(org, id))).resolves.toEqual(samplePolicy(5));
      const error = await rejectionOf(source.load(TenantAgentKey.of(freshOrgId(), id)));
      expect(isStorageError(error, 'NotFound'), `got ${String(error)}`).toBe(true);
      expect(source.orgs.has(org)).toBe(true);
    });

    it('rejects a forged key or id with a TypeError, never a synchronous throw', async () => {
      const { store } = fixture();
      const forged = freshAgentId() as unknown as TenantAgentKey;
      let pending: Promise<unknown>[] = [];
      expect(() => {
        pending = [
          store.tenantSource().load(forged),
          store.getPolicyForTenant('system' as OrgId, freshAgentId()),
          store.getPolicyForTenant(freshOrgId(), 'NOT-AN-ID' as AgentId),
        ];
      }).not.toThrow();
      for (const rejection of pending) {
        const error = await rejectionOf(rejection);
        expect(error, `got ${String(error)}`).toBeInstanceOf(TypeError);
      }
      expect(isInvalidIdError(await rejectionOf(store.tenantSource().load(forged)))).toBe(true);
    });
  });
}

/**
 * Sets up a fresh fixture before each test of the enclosing suite and tears it
 * down after; returns the accessor a test reads the current one with.
 */
function fixtureEachTest<F extends { teardown?(): Promise<void> | void }>(
  setup: () => Promise<F> | F,
): () => F {
  let current: F | undefined;
  beforeEach(async () => {
    current = await setup();
  });
  afterEach(async () => {
    const finished = current;
    current = undefined;
    await finished?.teardown?.();
  });
  return () => {
    if (current === undefined) throw new Error('the conformance fixture was not set up');
    return current;
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
