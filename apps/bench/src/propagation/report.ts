import { markdownTable } from '../lib/markdown-table.js';
import { median, quantile } from '../lib/statistics.js';
import { TRANSPORT_LABELS } from './protocol.js';
import { type TransportRun, WARMUP_ROUNDS } from './run-transport.js';

/** Whether a run delivered every invalidation and left no stale copy. */
export function runSucceeded(run: TransportRun): boolean {
  return run.lost === 0 && run.stale === 0 && run.emptyInvalidations === 0;
}

const ms = (value: number) => (Number.isNaN(value) ? 'n/a' : value.toFixed(2));

/** The markdown report: one row per transport, then a verdict line per failing one. */
export function formatPropagation(runs: readonly TransportRun[], machine: string): string {
  const table = markdownTable(
    [
      'transport',
      'rounds',
      'arrived',
      'median ms',
      'p99 ms',
      'max ms',
      'median ms from write start',
    ],
    runs.map((run) => [
      TRANSPORT_LABELS[run.transport],
      String(run.rounds),
      String(run.afterCommitMs.length),
      ms(median(run.afterCommitMs)),
      ms(quantile(run.afterCommitMs, 0.99)),
      ms(quantile(run.afterCommitMs, 1)),
      ms(median(run.afterWriteStartMs)),
    ]),
  );
  const verdicts = runs.map((run) => {
    const label = TRANSPORT_LABELS[run.transport];
    if (runSucceeded(run)) return `OK: ${label}: every invalidation arrived; no stale copy after.`;
    return (
      `FAILED: ${label}: ${run.lost} invalidation(s) never arrived, ${run.emptyInvalidations} found ` +
      `no entry, ${run.stale} agent(s) served a stale version afterwards` +
      (run.problems.length > 0 ? `; the listener reported: ${run.problems.join(' | ')}` : '')
    );
  });
  return [
    '# Invalidation propagation across processes',
    '',
    machine,
    '',
    'Milliseconds from the writer seeing its commit acknowledged (`putPolicy` resolved) to the ' +
      "other process's `L1Cache` having dropped its copy. For Redis Streams this includes the " +
      '`publish()` (one `XADD` round trip) the writer issues after the commit. The gateway ' +
      "(the test gateway, in the writer's process) sends its event right after the commit, so " +
      'its figure runs from the moment the server sends the event. A LISTEN/NOTIFY ' +
      'notification leaves the server at the commit itself, so it can arrive before the ' +
      `writer hears back. ${WARMUP_ROUNDS} warm-up rounds per transport are not counted. The last ` +
      'column counts from the start of the write transaction instead.',
    '',
    table,
    '',
    ...verdicts,
  ].join('\n');
}
