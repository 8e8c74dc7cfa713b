import { isStorageError } from '@aa/core';
import { describe, expect, it } from 'vitest';
import { runSoak } from '../../src/soak/run-soak.js';
import type { SoakCache } from '../../src/soak/traffic.js';

type Cache = Parameters<NonNullable<Parameters<typeof runSoak>[0]['wrapCache']>>[0];
type Id = Parameters<Cache['get']>[0];
type Policy = Awaited<ReturnType<Cache['get']>>;

/** A cache that forwards to `cache` except for `overrides`. */
function wrap(cache: Cache, overrides: Partial<Pick<SoakCache, 'get' | 'invalidate' | 'clear'>>) {
  const wrapper: SoakCache = {
    get: (id, options) => cache.get(id, options),
    peek: (id) => cache.peek(id),
    invalidate: (id) => cache.invalidate(id),
    clear: () => cache.clear(),
    get size() {
      return cache.size;
    },
    get pendingLoads() {
      return cache.pendingLoads;
    },
    stats: () => cache.stats(),
    dispose: () => cache.dispose(),
    ...overrides,
  };
  return wrapper;
}

/** Each sabotage, and a violation the soak must report for it. */
const sabotages: [string, (cache: Cache) => SoakCache, string][] = [
  [
    'invalidate() and clear() that do nothing',
    (cache) => wrap(cache, { invalidate: () => false, clear: () => undefined }),
    'invalidated-load-served',
  ],
  [
    'backend failures remembered and re-thrown',
    (cache) => {
      const failed = new Map<Id, unknown>();
      return wrap(cache, {
        get(id, options) {
          const error = failed.get(id);
          if (error !== undefined) return Promise.reject(error);
          const answer = cache.get(id, options);
          answer.catch((reason: unknown) => {
            if (isStorageError(reason, 'Backend')) failed.set(id, reason);
          });
          return answer;
        },
      });
    },
    'error-cached',
  ],
  [
    'values kept past every window (until invalidated)',
    (cache) => {
      const kept = new Map<Id, Policy>();
      return wrap(cache, {
        get(id, options) {
          const value = kept.get(id);
          if (value !== undefined) return Promise.resolve(value);
          const answer = cache.get(id, options);
          answer.then(
            (policy) => kept.set(id, policy),
            () => undefined,
          );
          return answer;
        },
        invalidate(id) {
          kept.delete(id);
          return cache.invalidate(id);
        },
        clear() {
          kept.clear();
          cache.clear();
        },
      });
    },
    'expired-value',
  ],
  [
    'answers held back half a second',
    (cache) =>
      wrap(cache, {
        get: (id, options) =>
          cache.get(id, options).finally(() => new Promise((resolve) => setTimeout(resolve, 500))),
      }),
    'slow-caller',
  ],
];

describe('runSoak()', () => {
  it('passes a short run of the real cache, exercising every fault', {
    timeout: 30_000,
  }, async () => {
    const report = await runSoak({ durationMs: 1_000, seed: 1 });
    expect(report.violations).toMatchObject({ total: 0, samples: [] });
    expect(report.heapWithinBound).toBe(true);
    expect(report.passed).toBe(true);
    const { counts, stats } = report;
    expect(counts.gets).toBeGreaterThan(500);
    expect(counts.outcomes.value).toBeGreaterThan(0);
    expect(counts.outcomes.notFound).toBeGreaterThan(0);
    expect(counts.invalidates + counts.clears).toBeGreaterThan(0);
    expect(stats.loads).toBe(report.source.calls);
    expect(report.source.hangs).toBeGreaterThan(0);
  });

  it.each(sabotages)(
    'catches a cache with %s',
    { timeout: 30_000 },
    async (_label, sabotage, expected) => {
      const report = await runSoak({
        durationMs: 1_000,
        seed: 2,
        measureHeap: false,
        wrapCache: sabotage,
      });
      expect(report.passed).toBe(false);
      expect(report.violations.byKind.map(([kind]) => kind)).toContain(expected);
    },
  );
});
