/**
 * How much work each workload does. `FULL_SETTINGS` is what the issue asks
 * for; `QUICK_SETTINGS` keeps every workload with fewer repetitions, fewer
 * operations and smaller sizes, to finish in under a minute.
 */
export interface CompareSettings {
  /** Worker processes per peer for the timed workloads (hit, peek, bursts). */
  readonly timedReps: number;
  /** Worker processes per peer for the memory workloads. */
  readonly memoryReps: number;
  /** Worker processes per peer for the hit-ratio workloads (deterministic: one is enough). */
  readonly ratioReps: number;
  /** Timed batches per process after one warm-up batch; the process reports their median. */
  readonly hitBatches: number;
  /** Awaited gets per batch. */
  readonly asyncOps: number;
  /** Synchronous peeks per batch. */
  readonly syncOps: number;
  /** Warm keys of the many-keys hit workload. */
  readonly warmKeys: number;
  /** Concurrent callers of one cold key, one process each. */
  readonly burstSizes: readonly number[];
  /** How long every load of the burst workloads takes, in milliseconds. */
  readonly loadDelayMs: number;
  readonly coldKeys: number;
  readonly callersPerColdKey: number;
  readonly failingCallers: number;
  /** Entries of the bytes-per-entry workload (and the cap it runs with). */
  readonly memoryEntries: number;
  /** Cap of the flood workload. */
  readonly floodCap: number;
  /** Distinct keys that flow through the flood workload's cache. */
  readonly floodKeys: number;
  /** Keys loaded with a short TTL by the expiry workload. */
  readonly expiryKeys: number;
  readonly expiryTtlMs: number;
  /** Cap of the hit-ratio workloads. */
  readonly ratioCap: number;
  /** Distinct keys of the Zipf stream. */
  readonly ratioKeys: number;
  /** Zipf gets (the scan stream adds as many one-off gets). */
  readonly ratioGets: number;
  readonly zipfExponent: number;
  readonly seed: number;
  /**
   * Worker processes run at once for the timed workloads. 1 for real figures:
   * a second process on the same cores skews the times.
   */
  readonly timedJobs: number;
  /** Worker processes run at once for the memory and hit-ratio workloads, which time nothing. */
  readonly untimedJobs: number;
  /** A worker still running after this long is killed and reported as failed. */
  readonly workerTimeoutMs: number;
}

/** The suite as the issue specifies it. */
export const FULL_SETTINGS: CompareSettings = Object.freeze({
  timedReps: 5,
  memoryReps: 3,
  ratioReps: 1,
  hitBatches: 7,
  asyncOps: 100_000,
  syncOps: 1_000_000,
  warmKeys: 10_000,
  burstSizes: Object.freeze([100, 1_000, 10_000]),
  loadDelayMs: 50,
  coldKeys: 1_000,
  callersPerColdKey: 10,
  failingCallers: 100,
  memoryEntries: 100_000,
  floodCap: 100_000,
  floodKeys: 1_000_000,
  expiryKeys: 200_000,
  expiryTtlMs: 10,
  ratioCap: 1_000,
  ratioKeys: 100_000,
  ratioGets: 1_000_000,
  zipfExponent: 0.9,
  seed: 0x5eed,
  timedJobs: 1,
  untimedJobs: 2,
  workerTimeoutMs: 600_000,
});

/**
 * Every workload, smaller (one burst size), once, two or three workers at a
 * time: a smoke run that checks the suite works, not figures to quote.
 */
export const QUICK_SETTINGS: CompareSettings = Object.freeze({
  ...FULL_SETTINGS,
  timedReps: 1,
  memoryReps: 1,
  hitBatches: 2,
  asyncOps: 5_000,
  syncOps: 100_000,
  warmKeys: 2_000,
  burstSizes: Object.freeze([10_000]),
  coldKeys: 200,
  failingCallers: 20,
  memoryEntries: 10_000,
  floodCap: 1_000,
  floodKeys: 10_000,
  expiryKeys: 5_000,
  ratioGets: 5_000,
  timedJobs: 2,
  untimedJobs: 3,
  workerTimeoutMs: 60_000,
});
