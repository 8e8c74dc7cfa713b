import { median } from '../lib/statistics.js';
import type { PeerId } from './peers/catalog.js';
import type { CaseParams, Metrics } from './workloads/case-params.js';
import type { ReferenceRow } from './workloads/catalog.js';

/** One peer's repetitions of one case; a failed repetition is `undefined` with its error listed. */
export interface PeerResult {
  readonly peer: PeerId;
  /** Indexed by repetition. */
  readonly reps: (Metrics | undefined)[];
  readonly errors: string[];
}

/** Every peer's results for one case of a workload. */
export interface CaseResult {
  readonly label: string;
  readonly params: CaseParams;
  readonly peers: readonly PeerResult[];
  readonly references: readonly ReferenceRow[];
}

/** The median over the repetitions of `metric`; `NaN` when none has it. */
export function medianMetric(result: Pick<PeerResult, 'reps'>, metric: string): number {
  const values: number[] = [];
  for (const rep of result.reps) {
    const value = rep?.[metric];
    if (value !== undefined && !Number.isNaN(value)) values.push(value);
  }
  return median(values);
}

/** How a figure is set against a baseline's: divided by it, or less it. */
export type Pairing = 'ratio' | 'difference';

/**
 * The median over repetitions of `result`'s `metric` set against `baseline`'s
 * in the same repetition (divided by it, or less it), so drift between
 * repetitions cancels out; `NaN` when no repetition has both. A difference
 * suits figures near zero, whose ratios swing wildly with noise.
 */
export function medianPaired(
  result: PeerResult,
  baseline: PeerResult,
  metric: string,
  by: Pairing,
): number {
  const paired: number[] = [];
  for (const [rep, metrics] of result.reps.entries()) {
    const own = metrics?.[metric];
    const base = baseline.reps[rep]?.[metric];
    if (own === undefined || base === undefined) continue;
    if (by === 'difference') paired.push(own - base);
    else if (base !== 0) paired.push(own / base);
  }
  return median(paired.filter((value) => !Number.isNaN(value)));
}
