import { randomUUID } from 'node:crypto';
import { AgentId, isStorageError, type PolicyDocument, type PolicyStore } from '@aa/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { samplePolicy } from './sample-policy.js';

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
 * // test/postgres-policy-store.conformance.test.ts
 * describePolicyStoreConformance('PostgresPolicyStore', async () => {
 *   const pool = await createTestPool();
 *   return {
 *     store: new PostgresPolicyStore(pool),
 *     seed: (id, policy) => insertPolicyRow(pool, id, policy),
 *     teardown: () => pool.end(),
 *   };
 * });
 */
export function describePolicyStoreConformance(
  name: string,
  setup: () => Promise<PolicyStoreFixture> | PolicyStoreFixture,
): void {
  describe(`${name} conforms to PolicyStore`, () => {
    let current: PolicyStoreFixture | undefined;

    beforeEach(async () => {
      current = await setup();
    });

    afterEach(async () => {
      const finished = current;
      current = undefined;
      await finished?.teardown?.();
    });

    function fixture(): PolicyStoreFixture {
      if (current === undefined) throw new Error('the conformance fixture was not set up');
      return current;
    }

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

function freshAgentId(): AgentId {
  return AgentId.parse(randomUUID());
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
