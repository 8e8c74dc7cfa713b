import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type CacheStats, L1Cache } from '@aa/cache';
import type { AgentId, PolicyDocument } from '@aa/core';
import { collectGarbage, heapBytes } from '../lib/heap.js';
import { SeededRandom } from '../lib/prng.js';
import { ZipfSampler } from '../lib/zipf.js';
import { EventCounter } from './event-counter.js';
import { FaultySource, SOAK_FAULTS } from './faulty-source.js';
import { KeySpace } from './key-space.js';
import { describeError, Oracle, type OracleLimits, type Overshoot } from './oracle.js';
import { ReentrantUserCode } from './reentrant-user-code.js';
import { SoakPhases } from './soak-phases.js';
import {
  HEAP_GROWTH_BOUND_MB,
  SOAK_CACHE_OPTIONS,
  SOAK_KEYS,
  SOAK_MIX,
  SOAK_REENTRY,
  SOAK_SLACK,
  SOAK_ZIPF_EXPONENT,
  WARMUP_MS,
  WARMUP_SHARE,
} from './soak-settings.js';
import { TimerLateness } from './timer-lateness.js';
import { type SoakCache, Traffic, type TrafficCounts } from './traffic.js';
import { Violations } from './violations.js';

/** What to run. */
export interface SoakSettings {
  /** Traffic time in milliseconds, warm-up included. */
  readonly durationMs: number;
  readonly seed: number;
  /** Progress lines, if wanted. */
  readonly log?: (line: string) => void;
  /** Whether to measure the heap (two full collections each time); on unless false. */
  readonly measureHeap?: boolean;
  /** Wraps the cache under test; for the soak's own tests, which sabotage it. */
  readonly wrapCache?: (cache: L1Cache<AgentId, PolicyDocument>) => SoakCache;
}

/** What a soak saw and whether it passed. */
export interface SoakReport {
  readonly seed: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly options: typeof SOAK_CACHE_OPTIONS;
  readonly keys: number;
  /** What the traffic did, up to the end of the traffic (the dispose check not included). */
  readonly counts: TrafficCounts;
  /** Invalidations the soak's user code made from inside the cache's callbacks. */
  readonly reentries: { readonly fromTtl: number; readonly fromRemoval: number };
  readonly stats: CacheStats;
  /** The source's counters, as `stats` is, at the end of the traffic (before the dispose check). */
  readonly source: { readonly calls: number; readonly hangs: number; readonly aborts: number };
  /** Diagnostics events per channel, as `stats` is, at the end of the traffic. */
  readonly events: Readonly<Record<string, number>>;
  readonly maxSize: number;
  /** Answers served past their window in real time, and the clock lag behind that. */
  readonly overshoot: Readonly<Overshoot>;
  readonly waitMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly eventLoopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly heapMb: {
    readonly baseline: number;
    readonly start: number;
    readonly end: number;
    readonly afterDispose: number;
    readonly bound: number;
  };
  readonly heapWithinBound: boolean;
  readonly violations: {
    readonly total: number;
    readonly byKind: readonly [string, number][];
    readonly samples: readonly string[];
  };
  readonly passed: boolean;
}

/**
 * Runs the fault soak: warm-up traffic, the heap's starting point at rest,
 * the main traffic, the heap's end point at rest, then a check that
 * `dispose()` cuts every caller short and leaves nothing behind that fires.
 * Resolves with the report; never rejects for a violation (it is recorded).
 */
export async function runSoak(settings: SoakSettings): Promise<SoakReport> {
  const log = (line: string) => settings.log?.(`${line} (at ${performance.now().toFixed(0)} ms)`);
  const violations = new Violations();
  const onUnhandled = (reason: unknown) =>
    violations.record('unhandled-rejection', describeError(reason));
  const onUncaught = (error: unknown) =>
    violations.record('uncaught-exception', describeError(error));
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUncaught);
  const events = new EventCounter();
  const lateness = new TimerLateness();
  let reentry: ReentrantUserCode | undefined;

  try {
    const random = new SeededRandom(settings.seed);
    const keys = new KeySpace(SOAK_KEYS, random);
    const limits: OracleLimits = {
      ...SOAK_SLACK,
      ttlMs: SOAK_CACHE_OPTIONS.ttlMs,
      ttlJitter: SOAK_CACHE_OPTIONS.ttlJitter,
      staleWindowMs: Math.max(
        SOAK_CACHE_OPTIONS.staleWhileRevalidateMs,
        SOAK_CACHE_OPTIONS.staleIfErrorMs,
      ),
      notFoundTtlMs: SOAK_CACHE_OPTIONS.notFoundTtlMs,
      loadTimeoutMs: SOAK_CACHE_OPTIONS.loadTimeoutMs,
    };
    lateness.start();
    const oracle = new Oracle(keys, limits, violations, (from, to) =>
      lateness.longestStallBetween(from, to),
    );
    const source = new FaultySource(keys, oracle, violations, random, SOAK_FAULTS);
    reentry = new ReentrantUserCode(keys, random, SOAK_REENTRY, SOAK_CACHE_OPTIONS.ttlMs);
    const real = new L1Cache<AgentId, PolicyDocument>(source, {
      ...SOAK_CACHE_OPTIONS,
      ttlMs: reentry.ttlMs,
    });
    reentry.attach(real);
    const cache = settings.wrapCache?.(real) ?? real;
    const zipf = new ZipfSampler(SOAK_KEYS, SOAK_ZIPF_EXPONENT);
    const traffic = new Traffic(
      cache,
      keys,
      oracle,
      violations,
      random,
      () => zipf.sample(random),
      SOAK_MIX,
      SOAK_CACHE_OPTIONS.maxEntries,
    );
    const run = new SoakPhases(cache, source, traffic, oracle, violations, random);
    const heapUsed = settings.measureHeap === false ? () => 0 : heapAfterGcMb;

    const baseline = heapUsed();
    const warmupMs = Math.round(
      Math.min(WARMUP_MS[1], Math.max(WARMUP_MS[0], settings.durationMs * WARMUP_SHARE)),
    );
    const mainMs = Math.max(WARMUP_MS[0], settings.durationMs - warmupMs);
    log(`warm-up ${warmupMs} ms`);
    await run.traffic(warmupMs);
    await run.quiesce('warm-up');
    const start = heapUsed();
    // The collections above ran in one long turn, during which the cache's
    // per-turn clock stood still; let the turn end before traffic resumes.
    await yieldToEventLoop();

    log(`traffic ${mainMs} ms (seed ${settings.seed})`);
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    await run.traffic(mainMs);
    loopDelay.disable();
    await run.quiesce('traffic');
    run.checkCounters(events.loadStarts);
    const stats = cache.stats();
    const sourceCounts = { calls: source.calls, hangs: source.hangs, aborts: source.aborts };
    const eventCounts = events.snapshot();
    const trafficCounts = structuredClone(traffic.counts);
    const end = heapUsed();
    await yieldToEventLoop();

    log('traffic stopped; dispose');
    await run.checkDispose(oracle, events);
    const afterDispose = heapUsed();

    const heapWithinBound = end - start <= HEAP_GROWTH_BOUND_MB;
    const waits = traffic.waits;
    return {
      seed: settings.seed,
      durationMs: settings.durationMs,
      warmupMs,
      options: SOAK_CACHE_OPTIONS,
      keys: SOAK_KEYS,
      counts: trafficCounts,
      reentries: { ...reentry.counts },
      stats,
      source: sourceCounts,
      events: eventCounts,
      maxSize: traffic.maxSize,
      overshoot: { ...oracle.overshoot },
      waitMs: {
        p50: waits.percentile(50) / 1e3,
        p99: waits.percentile(99) / 1e3,
        max: waits.max / 1e3,
      },
      eventLoopDelayMs: {
        p50: loopDelay.percentile(50) / 1e6,
        p99: loopDelay.percentile(99) / 1e6,
        max: loopDelay.max / 1e6,
      },
      heapMb: { baseline, start, end, afterDispose, bound: HEAP_GROWTH_BOUND_MB },
      heapWithinBound,
      violations: {
        total: violations.total,
        byKind: violations.byKind(),
        samples: violations.samples(),
      },
      passed: violations.total === 0 && heapWithinBound,
    };
  } finally {
    reentry?.detach();
    lateness.stop();
    events.close();
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
  }
}

/**
 * The heap after full collections, in MB, measured now, in this task (the
 * soak's phases rely on the clock not moving meanwhile).
 */
function heapAfterGcMb(): number {
  collectGarbage();
  return heapBytes() / 2 ** 20;
}
