import type { PeerId } from './peers/catalog.js';
import { type CaseResult, medianMetric, medianPaired } from './results.js';
import type { WorkloadDefinition } from './workloads/catalog.js';

/**
 * A workload's section of the report: its title, one markdown table (a row per
 * case and peer, then the computed reference rows) and its method.
 */
export function formatWorkload(
  workload: WorkloadDefinition,
  cases: readonly CaseResult[],
  peerLabel: (peer: PeerId) => string,
  reps: number,
): string {
  const showCase = cases.some((result) => result.label !== '');
  const headers = [
    ...(showCase ? ['case'] : []),
    'peer',
    ...workload.columns.map((column) => column.header),
  ];
  const rows: string[][] = [];
  for (const result of cases) {
    // The case label on its first row only, so the groups stand out.
    let lead = showCase ? [result.label] : [];
    const nextLead = () => {
      const current = lead;
      lead = showCase ? [''] : [];
      return current;
    };
    for (const peer of result.peers) {
      const baselineOf = (id: PeerId) => result.peers.find((candidate) => candidate.peer === id);
      const cells = workload.columns.map((column) => {
        if (column.against === undefined) return column.format(medianMetric(peer, column.metric));
        const baseline = baselineOf(column.against.peer);
        return baseline === undefined
          ? '—'
          : column.format(medianPaired(peer, baseline, column.metric, column.against.by));
      });
      const failed = peer.reps.every((rep) => rep === undefined);
      const label = failed
        ? `${peerLabel(peer.peer)} (failed: ${firstLine(peer.errors[0])})`
        : peerLabel(peer.peer);
      rows.push([...nextLead(), label, ...cells]);
    }
    for (const reference of result.references) {
      const cells = workload.columns.map((column) =>
        column.against === undefined
          ? column.format(reference.metrics[column.metric] ?? Number.NaN)
          : '—',
      );
      rows.push([...nextLead(), `*${reference.label}*`, ...cells]);
    }
  }
  const errors = cases.flatMap((result) =>
    result.peers.flatMap((peer) =>
      peer.errors.map((error) => `- ${peerLabel(peer.peer)}: ${firstLine(error)}`),
    ),
  );
  const repetitions =
    reps === 1
      ? 'Each figure comes from one process per peer.'
      : `Each figure is the median of ${reps} processes per peer, interleaved.`;
  return [
    `## ${workload.title}`,
    '',
    alignedTable(headers, rows, showCase ? 2 : 1),
    '',
    `${workload.method} ${repetitions}`,
    ...(errors.length === 0 ? [] : ['', 'Failures:', ...errors]),
  ].join('\n');
}

function firstLine(text: string | undefined): string {
  return (text ?? 'unknown error').split('\n')[0] ?? '';
}

/** A GitHub-flavoured markdown table: the first `textColumns` left-aligned, the figures right. */
export function alignedTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  textColumns: number,
): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const rule = headers.map((_, index) => (index < textColumns ? ':---' : '---:'));
  return [line(headers), line(rule), ...rows.map(line)].join('\n');
}
