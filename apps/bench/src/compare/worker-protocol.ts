import type { PeerId } from './peers/catalog.js';
import type { CaseParams, Metrics } from './workloads/case-params.js';

/** What the parent asks one worker process to do: one case, one peer. */
export interface WorkerRequest {
  readonly peer: PeerId;
  readonly params: CaseParams;
}

/** Prefixes the one stdout line that carries a worker's result, whatever else a peer prints. */
export const RESULT_MARKER = '@@aa-bench-compare-result ';

/** The result line a worker prints. `NaN` travels as `null`, as JSON has no `NaN`. */
export function encodeResult(metrics: Metrics): string {
  return `${RESULT_MARKER}${JSON.stringify(metrics)}\n`;
}

/**
 * The metrics in a worker's stdout.
 * @throws {Error} when no well-formed result line is there.
 */
export function decodeResult(stdout: string): Metrics {
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_MARKER));
  if (line === undefined) throw new Error('the worker printed no result line');
  const parsed: unknown = JSON.parse(line.slice(RESULT_MARKER.length));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`the worker's result is not an object: ${line}`);
  }
  const metrics: Record<string, number> = {};
  for (const [name, value] of Object.entries(parsed)) {
    metrics[name] = typeof value === 'number' ? value : Number.NaN;
  }
  return metrics;
}
