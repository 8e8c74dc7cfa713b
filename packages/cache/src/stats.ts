import type { RemovalCounts } from './entry-store.js';

/**
 * Cumulative counters of one cache since it was built. Every `get` that is
 * answered counts as exactly one of `hits`, `staleHits` or `misses` (a `get`
 * rejected up front, for an aborted signal or a disposed cache, counts in none);
 * a load counts once however many callers waited on it.
 */
export interface CacheStats {
  /** Gets answered from a fresh entry (a remembered `NotFound` included). */
  readonly hits: number;
  /** Gets answered at once with a stale value: within the stale-while-revalidate window, or while fail-safe holds off retries. */
  readonly staleHits: number;
  /** Gets that waited for a load, started or joined. */
  readonly misses: number;
  /** Misses that joined a load already in flight instead of starting one. */
  readonly coalescedWaits: number;
  /** Loads started, background refreshes included. */
  readonly loads: number;
  /** Loads that failed (timeouts included), whatever their callers were then given. */
  readonly loadFailures: number;
  /** Loads cut short by `loadTimeoutMs`. */
  readonly loadTimeouts: number;
  /** Background refreshes started by stale-while-revalidate. */
  readonly refreshes: number;
  /** Background refreshes that failed. */
  readonly refreshFailures: number;
  /** Failed loads whose callers were given a stale value instead (fail-safe); a refresh no caller joined is not counted. */
  readonly failSafeFallbacks: number;
  /** Callers that left a load by aborting their signal. */
  readonly cancellations: number;
  /** Entries evicted to stay within `maxEntries`. */
  readonly evictions: number;
  /** Entries removed after outliving their TTL and stale windows. */
  readonly expirations: number;
  /** Entries dropped by `invalidate()` and `clear()`. */
  readonly invalidations: number;
  /**
   * Entries replaced by a newer load of their key: a refreshed or reloaded
   * value, a remembered `NotFound`, or a value the `ttlMs` function chose not to
   * store. With `evictions`, `expirations` and `invalidations`, every removal is
   * counted once, under its cause (see `RemovalCause`).
   */
  readonly replacements: number;
}

/**
 * The mutable counters behind {@link CacheStats}: plain integer fields, so
 * counting is one increment and cheap enough to be always on. Evictions,
 * expirations and replacements are counted where they happen, in the entry store.
 */
export class StatsCounter {
  hits = 0;
  staleHits = 0;
  misses = 0;
  coalescedWaits = 0;
  loads = 0;
  loadFailures = 0;
  loadTimeouts = 0;
  refreshes = 0;
  refreshFailures = 0;
  failSafeFallbacks = 0;
  cancellations = 0;
  invalidations = 0;

  /** A frozen copy of the counters, with the entry store's removal counts. */
  snapshot(removals: RemovalCounts): CacheStats {
    return Object.freeze({
      hits: this.hits,
      staleHits: this.staleHits,
      misses: this.misses,
      coalescedWaits: this.coalescedWaits,
      loads: this.loads,
      loadFailures: this.loadFailures,
      loadTimeouts: this.loadTimeouts,
      refreshes: this.refreshes,
      refreshFailures: this.refreshFailures,
      failSafeFallbacks: this.failSafeFallbacks,
      cancellations: this.cancellations,
      evictions: removals.evictions,
      expirations: removals.expirations,
      invalidations: this.invalidations,
      replacements: removals.replacements,
    });
  }
}
