import {
  AgentId,
  asCacheSource,
  type CacheSource,
  isStorageError,
  type PolicyDocument,
  type PolicyStore,
  type StorageErrorKind,
} from '@aa/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryPolicyStore, samplePolicy } from '../src/index.js';

const ALICE = AgentId.fromBytes(new Uint8Array(16).fill(0xa1));
const BOB = AgentId.fromBytes(new Uint8Array(16).fill(0xb0));

/** Watches a promise without awaiting it, so a test can ask whether it has settled yet. */
function watch<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

/** Lets every queued microtask and promise continuation run (real timers only). */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

describe('MemoryPolicyStore', () => {
  describe('load() and getPolicy()', () => {
    it('resolve to the inserted document itself', async () => {
      const policy = samplePolicy(1);
      const store = MemoryPolicyStore.withPolicy(ALICE, policy);
      await expect(store.load(ALICE)).resolves.toBe(policy);
      await expect(store.getPolicy(ALICE)).resolves.toBe(policy);
    });

    it('reject an unknown agent with a NotFound StorageError naming the agent', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1));
      const error = await rejectionOf(store.load(BOB));
      expect(isStorageError(error, 'NotFound')).toBe(true);
      expect(error).toMatchObject({ code: 'AA_STORAGE_NOT_FOUND' });
      expect((error as Error).message).toContain(BOB);
    });

    it('reject at once with the reason of an already-aborted signal', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).withDelay(60_000);
      const reason = new Error('caller gave up');
      const error = await rejectionOf(store.load(ALICE, { signal: AbortSignal.abort(reason) }));
      expect(error).toBe(reason);
      expect(store.pendingCount()).toBe(0);
    });

    it('resolve with a signal that is never aborted, leaving no listener behind', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).withDelay(1);
      const controller = new AbortController();
      const removed = vi.spyOn(controller.signal, 'removeEventListener');
      await expect(store.load(ALICE, { signal: controller.signal })).resolves.toEqual(
        samplePolicy(1),
      );
      expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
    });

    it('never throw synchronously, whatever the failure', async () => {
      const store = new MemoryPolicyStore();
      const attempts: Array<() => Promise<unknown>> = [
        () => store.load(ALICE),
        () => store.getPolicy(ALICE, { signal: AbortSignal.abort() }),
        () => store.failNext(1).load(ALICE),
      ];
      for (const attempt of attempts) {
        let pending: Promise<unknown> | undefined;
        expect(() => {
          pending = attempt();
        }).not.toThrow();
        await expect(pending).rejects.toBeDefined();
      }
    });
  });

  describe('callCount() and callCountFor()', () => {
    it('count every load, in total and per agent, through either method', async () => {
      const store = new MemoryPolicyStore()
        .insert(ALICE, samplePolicy(1))
        .insert(BOB, samplePolicy(2));
      await store.load(ALICE);
      await store.getPolicy(ALICE);
      await store.load(BOB);
      expect(store.callCount()).toBe(3);
      expect(store.callCountFor(ALICE)).toBe(2);
      expect(store.callCountFor(BOB)).toBe(1);
    });

    it('count failed loads too: NotFound, injected faults and aborted signals', async () => {
      const store = new MemoryPolicyStore();
      await rejectionOf(store.load(ALICE));
      await rejectionOf(store.failNext(1).load(ALICE));
      await rejectionOf(store.load(BOB, { signal: AbortSignal.abort() }));
      expect(store.callCount()).toBe(3);
      expect(store.callCountFor(ALICE)).toBe(2);
      expect(store.callCountFor(BOB)).toBe(1);
    });

    it('report 0 for an agent never loaded', () => {
      expect(MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).callCountFor(ALICE)).toBe(0);
    });

    it('go back to zero on resetCounts(), which keeps the policies', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1));
      await store.load(ALICE);
      await store.invalidate(ALICE);
      store.resetCounts();
      expect(store.callCount()).toBe(0);
      expect(store.callCountFor(ALICE)).toBe(0);
      expect(store.invalidationCount()).toBe(0);
      await expect(store.load(ALICE)).resolves.toEqual(samplePolicy(1));
      expect(store.callCount()).toBe(1);
    });
  });

  describe('insert(), remove() and withPolicy()', () => {
    it('withPolicy() builds a store holding that one policy', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(4));
      expect(store).toBeInstanceOf(MemoryPolicyStore);
      await expect(store.load(ALICE)).resolves.toEqual(samplePolicy(4));
      await expect(store.load(BOB)).rejects.toMatchObject({ kind: 'NotFound' });
    });

    it('insert() replaces an earlier policy and returns the store for chaining', async () => {
      const store = new MemoryPolicyStore();
      expect(store.insert(ALICE, samplePolicy(1)).insert(ALICE, samplePolicy(2))).toBe(store);
      await expect(store.load(ALICE)).resolves.toEqual(samplePolicy(2));
    });

    it('remove() reports whether there was a policy, and later loads reject NotFound', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1));
      expect(store.remove(ALICE)).toBe(true);
      expect(store.remove(ALICE)).toBe(false);
      expect(store.remove(BOB)).toBe(false);
      await expect(store.load(ALICE)).rejects.toMatchObject({ kind: 'NotFound' });
    });
  });

  describe('invalidate()', () => {
    it('resolves for present and absent agents alike, and is counted', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1));
      await expect(store.invalidate(ALICE)).resolves.toBeUndefined();
      await expect(store.invalidate(BOB)).resolves.toBeUndefined();
      await expect(store.invalidate(BOB)).resolves.toBeUndefined();
      expect(store.invalidationCount()).toBe(3);
    });

    it('keeps the policy and does not count as a load', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1));
      await store.invalidate(ALICE);
      expect(store.callCount()).toBe(0);
      await expect(store.load(ALICE)).resolves.toEqual(samplePolicy(1));
    });
  });

  describe('withDelay()', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });

    afterEach(() => {
      vi.useRealTimers();
    });

    it('answers only once the delay has passed, counting the load as pending meanwhile', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).withDelay(100);
      const load = watch(store.load(ALICE));
      await vi.advanceTimersByTimeAsync(99);
      expect(load.settled).toBe(false);
      expect(store.pendingCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(load).toEqual({ settled: true, value: samplePolicy(1) });
      expect(store.pendingCount()).toBe(0);
    });

    it('answers from the contents at the end of the delay, seeing an insert made meanwhile', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).withDelay(100);
      const beforeInsert = watch(store.load(ALICE));
      const neverInserted = watch(store.load(BOB));
      store.insert(ALICE, samplePolicy(2)).insert(BOB, samplePolicy(7));
      await vi.advanceTimersByTimeAsync(100);
      expect(beforeInsert.value).toEqual(samplePolicy(2));
      expect(neverInserted.value).toEqual(samplePolicy(7));
    });

    it('rejects at once with the abort reason, clearing the timer', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).withDelay(100);
      const controller = new AbortController();
      const aborted = watch(store.load(ALICE, { signal: controller.signal }));
      const other = watch(store.load(ALICE));
      expect(vi.getTimerCount()).toBe(2);

      const reason = new Error('timed out');
      controller.abort(reason);
      await vi.advanceTimersByTimeAsync(0);
      expect(aborted).toEqual({ settled: true, error: reason });
      expect(vi.getTimerCount()).toBe(1);
      expect(store.pendingCount()).toBe(1);

      await vi.advanceTimersByTimeAsync(100);
      expect(other.value).toEqual(samplePolicy(1));
    });

    it('rejects a load aborted after its timer fired but before it answered', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).withDelay(100);
      const controller = new AbortController();
      const load = watch(store.load(ALICE, { signal: controller.signal }));
      vi.advanceTimersByTime(100);
      const reason = new Error('too late');
      controller.abort(reason);
      await vi.advanceTimersByTimeAsync(0);
      expect(load).toEqual({ settled: true, error: reason });
    });

    it('applies to loads started afterwards; 0 answers without a timer', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).withDelay(100);
      const slow = watch(store.load(ALICE));
      store.withDelay(0);
      await expect(store.load(ALICE)).resolves.toEqual(samplePolicy(1));
      expect(slow.settled).toBe(false);
      expect(vi.getTimerCount()).toBe(1);
    });

    it.each([
      [-1, '`-1` (number)'],
      [Number.NaN, '`NaN` (number)'],
      [Number.POSITIVE_INFINITY, '`Infinity` (number)'],
      ['5', '`"5"` (string)'],
    ])('rejects %s as the delay with a TypeError saying what it got', (ms, shown) => {
      const store = new MemoryPolicyStore();
      expect(() => store.withDelay(ms as number)).toThrow(TypeError);
      expect(() => store.withDelay(ms as number)).toThrow(
        `Expected \`ms\` to be a finite number >= 0, got ${shown}`,
      );
    });
  });

  describe('holdLoads() and releaseLoads()', () => {
    it('hold loads until released, then answer every one of them', async () => {
      const store = new MemoryPolicyStore()
        .insert(ALICE, samplePolicy(1))
        .insert(BOB, samplePolicy(2));
      expect(store.holdLoads()).toBe(store);
      const first = watch(store.load(ALICE));
      const second = watch(store.getPolicy(BOB));
      await flush();
      expect(first.settled || second.settled).toBe(false);
      expect(store.pendingCount()).toBe(2);

      store.releaseLoads();
      await flush();
      expect(first.value).toEqual(samplePolicy(1));
      expect(second.value).toEqual(samplePolicy(2));
      expect(store.pendingCount()).toBe(0);
    });

    it('stop holding new loads once released', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).holdLoads();
      store.releaseLoads();
      await expect(store.load(ALICE)).resolves.toEqual(samplePolicy(1));
    });

    it('answer a held load from the contents at release, seeing an insert made meanwhile', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).holdLoads();
      const replaced = watch(store.load(ALICE));
      const added = watch(store.load(BOB));
      store.insert(ALICE, samplePolicy(2)).insert(BOB, samplePolicy(3));
      store.releaseLoads();
      await flush();
      expect(replaced.value).toEqual(samplePolicy(2));
      expect(added.value).toEqual(samplePolicy(3));
    });

    it('reject a held load with its abort reason at once, leaving the others held', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).holdLoads();
      const controller = new AbortController();
      const aborted = watch(store.load(ALICE, { signal: controller.signal }));
      const other = watch(store.load(ALICE));

      const reason = new Error('cancelled');
      controller.abort(reason);
      await flush();
      expect(aborted).toEqual({ settled: true, error: reason });
      expect(other.settled).toBe(false);
      expect(store.pendingCount()).toBe(1);

      store.releaseLoads();
      await flush();
      expect(other.value).toEqual(samplePolicy(1));
      expect(store.pendingCount()).toBe(0);
    });

    it('hold a delayed load once its delay ends, if holding began meanwhile', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).withDelay(1);
      const load = watch(store.load(ALICE));
      store.holdLoads();
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(load.settled).toBe(false);
      expect(store.pendingCount()).toBe(1);
      store.releaseLoads();
      await flush();
      expect(load.value).toEqual(samplePolicy(1));
    });
  });

  describe('failNext()', () => {
    it('fails the next loads with Backend by default, then recovers', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1));
      expect(store.failNext(2)).toBe(store);
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await rejectionOf(store.load(ALICE));
        expect(isStorageError(error, 'Backend')).toBe(true);
      }
      await expect(store.load(ALICE)).resolves.toEqual(samplePolicy(1));
      expect(store.callCount()).toBe(3);
    });

    it.each(['NotFound', 'Backend', 'Serialization', 'Conflict'] as const)(
      'fails with a %s StorageError whose detail says it was injected',
      async (kind) => {
        const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).failNext(1, kind);
        const error = await rejectionOf(store.load(ALICE));
        expect(isStorageError(error, kind)).toBe(true);
        expect(error).toMatchObject({ detail: expect.stringContaining('injected') });
        await expect(store.load(ALICE)).resolves.toEqual(samplePolicy(1));
      },
    );

    it('queues successive calls in order', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1))
        .failNext(1, 'Conflict')
        .failNext(2, 'Serialization')
        .failNext(0, 'NotFound');
      const kinds: StorageErrorKind[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        const error = await rejectionOf(store.load(ALICE));
        if (isStorageError(error)) kinds.push(error.kind);
      }
      expect(kinds).toEqual(['Conflict', 'Serialization', 'Serialization']);
      await expect(store.load(ALICE)).resolves.toEqual(samplePolicy(1));
    });

    it('takes precedence over NotFound for an unknown agent', async () => {
      const store = new MemoryPolicyStore().failNext(1, 'Backend');
      await expect(store.load(BOB)).rejects.toMatchObject({ kind: 'Backend' });
      await expect(store.load(BOB)).rejects.toMatchObject({ kind: 'NotFound' });
    });

    it('assigns faults to loads in call order and delivers them when the load answers', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).holdLoads().failNext(1);
      const first = watch(store.load(ALICE));
      const second = watch(store.load(ALICE));
      await flush();
      expect(first.settled).toBe(false);
      store.releaseLoads();
      await flush();
      expect(isStorageError(first.error, 'Backend')).toBe(true);
      expect(second.value).toEqual(samplePolicy(1));
    });

    it('spares loads called before failNext(), even if they answer after it', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).holdLoads();
      const earlier = watch(store.load(ALICE));
      store.failNext(1, 'Conflict');
      const later = watch(store.load(ALICE));
      store.releaseLoads();
      await flush();
      expect(earlier.value).toEqual(samplePolicy(1));
      expect(isStorageError(later.error, 'Conflict')).toBe(true);
    });

    it('leaves its fault for the next load when the signal was already aborted', async () => {
      const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1)).failNext(1);
      await rejectionOf(store.load(ALICE, { signal: AbortSignal.abort() }));
      await expect(store.load(ALICE)).rejects.toMatchObject({ kind: 'Backend' });
    });

    it.each([
      [-1, '`count`'],
      [1.5, '`count`'],
      [Number.NaN, '`count`'],
    ])('rejects %s as the count with a TypeError', (count, name) => {
      expect(() => new MemoryPolicyStore().failNext(count)).toThrow(TypeError);
      expect(() => new MemoryPolicyStore().failNext(count)).toThrow(`Expected ${name}`);
    });

    it('rejects an unknown kind with a TypeError listing the kinds', () => {
      expect(() => new MemoryPolicyStore().failNext(1, 'Timeout' as StorageErrorKind)).toThrow(
        'Expected `kind` to be one of NotFound, Backend, Serialization, Conflict, got `"Timeout"` (string)',
      );
    });
  });

  it('serves as a CacheSource directly and as a PolicyStore through asCacheSource()', async () => {
    const store = MemoryPolicyStore.withPolicy(ALICE, samplePolicy(1));
    const source: CacheSource<AgentId, PolicyDocument> = store;
    const policyStore: PolicyStore = store;
    await expect(source.load(ALICE)).resolves.toEqual(samplePolicy(1));
    await expect(asCacheSource(policyStore).load(ALICE)).resolves.toEqual(samplePolicy(1));
    expect(store.callCount()).toBe(2);
  });
});
