/** The workloads, in report order; `--only` takes these ids. */
export const WORKLOAD_IDS = [
  'hit',
  'hit-keys',
  'peek',
  'burst',
  'cold-keys',
  'failing',
  'memory',
  'flood',
  'expiry',
  'zipf',
  'scan',
] as const;

/** One of {@link WORKLOAD_IDS}. */
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

/** Timed batches of one operation, after one warm-up batch. */
interface Batches {
  readonly batches: number;
  readonly ops: number;
}

/**
 * Everything a worker process needs to run one case of one workload. A
 * workload has one case, except `burst`, which has one per size.
 */
export type CaseParams =
  | ({ readonly workload: 'hit' } & Batches)
  | ({ readonly workload: 'hit-keys'; readonly keys: number; readonly seed: number } & Batches)
  | ({ readonly workload: 'peek' } & Batches)
  | { readonly workload: 'burst'; readonly callers: number; readonly delayMs: number }
  | {
      readonly workload: 'cold-keys';
      readonly keys: number;
      readonly callersPerKey: number;
      readonly delayMs: number;
    }
  | { readonly workload: 'failing'; readonly callers: number; readonly delayMs: number }
  | {
      readonly workload: 'memory';
      readonly entries: number;
      /** Whether every entry is read once more after the fill, as a hot entry would be. */
      readonly readBack: boolean;
    }
  | { readonly workload: 'flood'; readonly cap: number; readonly keys: number }
  | {
      readonly workload: 'expiry';
      readonly keys: number;
      readonly ttlMs: number;
      /** How long to wait after the last load before triggering reclamation. */
      readonly waitMs: number;
    }
  | {
      readonly workload: 'zipf' | 'scan';
      readonly cap: number;
      readonly keys: number;
      readonly gets: number;
      readonly exponent: number;
      readonly seed: number;
    };

/** What a worker reports: named figures, every one a number (`NaN` when not measurable). */
export type Metrics = Readonly<Record<string, number>>;

/** A TTL long enough that nothing expires during a workload that is not about expiry. */
export const NO_EXPIRY_TTL_MS = 3_600_000;
