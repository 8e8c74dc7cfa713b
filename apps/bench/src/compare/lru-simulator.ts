import { ONE_OFF } from './access-streams.js';

/** Hits of a cache policy replayed over a stream, hot (Zipf) requests counted apart. */
export interface ReplayResult {
  /** Hits among the Zipf requests / Zipf requests. */
  readonly hotHitRatio: number;
  /** Hits among all requests / all requests (one-offs always miss). */
  readonly hitRatio: number;
}

/**
 * Replays `stream` (ranks, and {@link ONE_OFF} for keys never seen again)
 * through an exact LRU of `capacity` entries: a `Map` in recency order, a hit
 * moved to the back, the front evicted. The "ideal LRU" row of the hit-ratio
 * tables: what any correct LRU scores on the same stream.
 */
export function replayLru(stream: Int32Array, capacity: number): ReplayResult {
  const recency = new Map<number, true>();
  let oneOffs = 0;
  let hotGets = 0;
  let hotHits = 0;
  for (const rank of stream) {
    // One-off keys are distinct from every rank and from each other.
    const key = rank === ONE_OFF ? -1 - ++oneOffs : rank;
    if (rank !== ONE_OFF) hotGets++;
    if (recency.delete(key)) {
      hotHits++;
    } else if (recency.size >= capacity) {
      recency.delete(recency.keys().next().value as number);
    }
    recency.set(key, true);
  }
  return {
    hotHitRatio: hotGets === 0 ? Number.NaN : hotHits / hotGets,
    hitRatio: stream.length === 0 ? Number.NaN : hotHits / stream.length,
  };
}
