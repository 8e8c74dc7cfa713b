import type { L1CacheOptions } from '@aa/cache';
import type { ReentryRates } from './reentrant-user-code.js';
import type { TrafficMix } from './traffic.js';

/**
 * Every production option on, scaled so that a few seconds exercise each of
 * them many times: entries expire (and are refreshed, or served stale on
 * failure) within a second, a NotFound is remembered for 150 ms,
 * loads time out at 100 ms, and 1,000 entries hold about 70 % of the Zipf
 * traffic over 20,000 ids, so eviction never stops.
 */
export const SOAK_CACHE_OPTIONS = Object.freeze({
  ttlMs: 200,
  ttlJitter: 0.2,
  maxEntries: 1_000,
  loadTimeoutMs: 100,
  staleWhileRevalidateMs: 100,
  staleIfErrorMs: 400,
  failSafeRetryMs: 50,
  notFoundTtlMs: 150,
  name: 'soak',
} satisfies L1CacheOptions);

/** Agent ids in the key space, drawn by Zipf rank with this exponent. */
export const SOAK_KEYS = 20_000;
export const SOAK_ZIPF_EXPONENT = 1;

/** What the workers do; see {@link TrafficMix}. */
export const SOAK_MIX: TrafficMix = Object.freeze({
  workers: 128,
  writeRate: 0.02,
  invalidateAfterWriteRate: 0.7,
  invalidateRate: 0.02,
  signalRate: 0.2,
  preAbortedRate: 0.05,
  abortWithinMs: 150,
  yieldEvery: 8,
});

/**
 * How often the soak's user code re-enters the cache: one `ttlMs` call in 50
 * invalidates the key it is storing, one removal in 100 invalidates another
 * key from its `aa:cache:remove` subscriber.
 */
export const SOAK_REENTRY: ReentryRates = Object.freeze({ fromTtl: 0.02, fromRemoval: 0.01 });

/** `clear()` runs at random intervals in this range, in ms. */
export const CLEAR_INTERVAL_MS = [500, 2_000] as const;

/**
 * The slack the oracle allows in real time; see {@link OracleLimits}. A
 * caller may wait `loadTimeoutMs` + `waitSlackMs` + the longest time timers
 * could not run meanwhile (measured); the cache's default clock may trail real time
 * by up to one task, and at most `maxClockLagMs`.
 */
export const SOAK_SLACK = Object.freeze({ waitSlackMs: 250, maxClockLagMs: 1_000 });

/**
 * How much the heap may grow, after gc, between the end of the warm-up and the
 * end of the run. Both are measured at rest (traffic stopped, every load
 * settled) with the cache full, so the cache's own contents are in both and
 * the difference is what the traffic left behind; at rest it is noise (seen
 * from -5 to +0.3 MB). A run makes tens of thousands of loads and about twice
 * as many gets per 10 s even on a loaded 2-core machine (far more on an idle
 * one), so anything kept per load (a flight, its AbortController, a listener,
 * a timer: a few hundred bytes) or per get would pass 8 MB within a 10-s run.
 */
export const HEAP_GROWTH_BOUND_MB = 8;

/** A slow caller is judged this long after it settled, once the timers due meanwhile have fired. */
export const JUDGE_SLOW_CALLERS_AFTER_MS = 500;

/** Warm-up share of the run, before the heap's starting point is measured. */
export const WARMUP_SHARE = 0.1;
export const WARMUP_MS = [500, 5_000] as const;
