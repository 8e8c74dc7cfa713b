import { markdownTable } from '../lib/markdown-table.js';
import { SOAK_FAULTS_SUMMARY } from './faulty-source.js';
import type { SoakReport } from './run-soak.js';
import { HEAP_GROWTH_BOUND_MB, SOAK_SLACK } from './soak-settings.js';

const count = (value: number) => value.toLocaleString('en-US');
const ms = (value: number) => value.toFixed(1);
const mb = (value: number) => value.toFixed(1);

/** The soak's report as markdown: settings, traffic, outcomes, cache stats, timing, heap, verdict. */
export function formatSoakReport(report: SoakReport): string {
  const { counts, stats, options } = report;
  const seconds = report.durationMs / 1_000;
  const sections = [
    `# @aa/cache fault soak (${seconds} s, seed ${report.seed})`,
    `Cache options: ${Object.entries(options)
      .map(([name, value]) => `${name} ${value}`)
      .join(', ')}; default eviction policy and clock.\n` +
      `Key space: ${count(report.keys)} agent ids, Zipf s=1, one in five unknown to the backend. ` +
      `Backend: ${SOAK_FAULTS_SUMMARY}.`,
    `## Operations\n\n${markdownTable(
      ['operation', 'count', 'per second'],
      (
        [
          ['get', counts.gets],
          ['… with an AbortSignal', counts.getsWithSignal],
          ['… already aborted', counts.preAborted],
          ['backend write', counts.writes],
          ['invalidate', counts.invalidates],
          ['clear', counts.clears],
          ['invalidate from inside a ttlMs call', report.reentries.fromTtl],
          ['invalidate from an aa:cache:remove subscriber', report.reentries.fromRemoval],
        ] as const
      ).map(([label, value]) => [label, count(value), count(Math.round(value / seconds))]),
    )}`,
    `## Outcomes of gets\n\n${markdownTable(
      ['outcome', 'count'],
      (
        [
          ['value (fresh or stale)', counts.outcomes.value],
          ['NotFound (unknown agent)', counts.outcomes.notFound],
          ['Backend failure (injected)', counts.outcomes.backendError],
          ['LoadTimeoutError', counts.outcomes.loadTimeout],
          ['aborted by the caller', counts.outcomes.aborted],
          ['CacheDisposedError', counts.outcomes.disposed],
          ['anything else', counts.outcomes.unexpected],
        ] as const
      ).map(([label, value]) => [label, count(value)]),
    )}`,
    `## Cache stats and backend\n\n${markdownTable(
      ['counter', 'count'],
      (
        [
          ...Object.entries(stats).map(([name, value]): [string, number] => [name, value]),
          ['source calls', report.source.calls],
          ['source hangs', report.source.hangs],
          ['source loads aborted', report.source.aborts],
          ['largest size seen', report.maxSize],
          ...Object.entries(report.events).map(([name, value]): [string, number] => [
            `events on ${name}`,
            value,
          ]),
        ] satisfies [string, number][]
      ).map(([label, value]) => [label, count(value)]),
    )}`,
    `## Timing and memory\n\n${markdownTable(
      ['measure', 'value'],
      [
        [
          'caller wait p50 / p99 / max',
          `${ms(report.waitMs.p50)} / ${ms(report.waitMs.p99)} / ${ms(report.waitMs.max)} ms`,
        ],
        [
          'event-loop delay p50 / p99 / max',
          `${ms(report.eventLoopDelayMs.p50)} / ${ms(report.eventLoopDelayMs.p99)} / ${ms(report.eventLoopDelayMs.max)} ms`,
        ],
        ["cache clock's lag behind real time, max", `${ms(report.overshoot.maxClockLagMs)} ms`],
        [
          'answers served past their window in real time',
          `${count(report.overshoot.count)} (at most ${ms(report.overshoot.maxMs)} ms past)`,
        ],
        ['heap before any traffic', `${mb(report.heapMb.baseline)} MB`],
        ['heap at start (after warm-up, at rest, cache full)', `${mb(report.heapMb.start)} MB`],
        ['heap at end (at rest, cache full)', `${mb(report.heapMb.end)} MB`],
        [
          'heap growth, start to end',
          `${mb(report.heapMb.end - report.heapMb.start)} MB (bound ${HEAP_GROWTH_BOUND_MB} MB)`,
        ],
        ['heap after dispose()', `${mb(report.heapMb.afterDispose)} MB`],
      ],
    )}\n\nAll heap figures are after full garbage collection, V8 heap plus ArrayBuffer backing stores (the cache keeps its bookkeeping in typed arrays). Ages are checked on the ` +
      `cache's clock, which the default clock holds still for one task (a callback and its microtasks), so an ` +
      `answer may outlive its window in real time by as long as a turn runs (measured above); ` +
      `that clock may trail real time by at most ${SOAK_SLACK.maxClockLagMs} ms. Callers may ` +
      `wait at most loadTimeoutMs + ${SOAK_SLACK.waitSlackMs} ms + the longest time the ` +
      `event loop could not run timers while they waited (a stalled loop delays the ` +
      `cache's timeout timers too).`,
    formatVerdict(report),
  ];
  return sections.join('\n\n');
}

function formatVerdict(report: SoakReport): string {
  const { violations } = report;
  const lines: string[] = [];
  if (violations.total === 0) {
    lines.push('OK: no invariant was violated.');
  } else {
    lines.push(`FAILED: ${count(violations.total)} violation(s).`);
    lines.push(
      markdownTable(
        ['violation', 'count'],
        violations.byKind.map(([kind, n]) => [kind, count(n)]),
      ),
    );
    lines.push(
      `First ${violations.samples.length}:\n${violations.samples.map((s) => `- ${s}`).join('\n')}`,
    );
  }
  const growth = report.heapMb.end - report.heapMb.start;
  lines.push(
    report.heapWithinBound
      ? `OK: the heap grew ${mb(growth)} MB, within the ${HEAP_GROWTH_BOUND_MB} MB bound.`
      : `FAILED: the heap grew ${mb(growth)} MB, past the ${HEAP_GROWTH_BOUND_MB} MB bound.`,
  );
  return `## Verdict\n\n${lines.join('\n\n')}`;
}
