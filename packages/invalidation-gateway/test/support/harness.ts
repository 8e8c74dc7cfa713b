import { randomUUID } from 'node:crypto';
import { L1Cache } from '@aa/cache';
import { AgentId, type PolicyDocument } from '@aa/core';
import type { InvalidationError } from '@aa/invalidation';
import { MemoryPolicyStore, samplePolicy } from '@aa/testing';
import { afterEach, expect } from 'vitest';

/**
 * A cache in front of a counting store, with one cached agent: the
 * "a reader must not keep serving the old version" fixture of every test.
 */
export async function cachedAgent(): Promise<{
  readonly id: AgentId;
  readonly store: MemoryPolicyStore;
  readonly cache: L1Cache<AgentId, PolicyDocument>;
  /** Changes the source of truth; the cache still holds the old version until told. */
  change(version: number): void;
  /** What a reader is served now. */
  served(): Promise<number>;
  /**
   * Loads the agent into the cache again: call it after `start()`, whose
   * `'start'` clear emptied the cache.
   */
  warm(): Promise<void>;
}> {
  const id = AgentId.parse(randomUUID());
  const store = MemoryPolicyStore.withPolicy(id, samplePolicy(1));
  const cache = new L1Cache(store, { ttlMs: 3_600_000 });
  expect((await cache.get(id)).version).toBe(1);
  return {
    id,
    store,
    cache,
    change: (version) => store.insert(id, samplePolicy(version)),
    served: async () => (await cache.get(id)).version,
    warm: async () => {
      await cache.get(id);
      expect(cache.peek(id)).toBeDefined();
    },
  };
}

/** An `onError` that records every error. */
export function errorLog(): ((error: InvalidationError) => void) & {
  readonly errors: InvalidationError[];
} {
  const errors: InvalidationError[] = [];
  return Object.assign((error: InvalidationError) => void errors.push(error), { errors });
}

/** Backoff short enough for a test on the real clock to see a reconnect at once. */
export const FAST_RETRY = { reconnectDelayMs: 10, maxReconnectDelayMs: 20 } as const;

/** Something a test starts and must let go of: a subscriber, a gateway, a proxy. */
type Closable = { close?(): Promise<void> | void; stop?(): Promise<void> | void };

/**
 * Registers, in the calling test file, an `afterEach` that undoes what the test
 * set up, last first: `track(thing)` closes (or stops) `thing`, `defer(undo)`
 * runs `undo`.
 */
export function cleanupAfterEach(): {
  track<T extends Closable>(thing: T): T;
  defer(undo: () => Promise<void> | void): void;
} {
  const undos: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const undo of undos.splice(0).reverse()) await undo();
  });
  return {
    track(thing) {
      undos.push(() => (thing.close ?? thing.stop)?.call(thing));
      return thing;
    },
    defer(undo) {
      undos.push(undo);
    },
  };
}
