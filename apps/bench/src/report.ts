import type { BurstResult } from './burst.js';
import { markdownTable } from './lib/markdown-table.js';
import type { PostgresBurstResult } from './postgres-source.js';

const ms = (value: number) => value.toFixed(1);
const count = (value: number) => value.toLocaleString('en-US');

/**
 * The burst's table and verdict. `over` names what the cache fronted, for the
 * heading.
 * @default over `store delay ${delayMs} ms`
 */
export function formatBurst(
  result: BurstResult,
  over = `store delay ${result.delayMs} ms`,
): string {
  const table = markdownTable(
    [
      'concurrency',
      'keys',
      'callers',
      'loads',
      'wall ms',
      'beyond load ms',
      'caller p50 ms',
      'caller p99 ms',
    ],
    [
      [
        count(result.concurrency),
        count(result.keys),
        count(result.callers),
        count(result.loads),
        ms(result.wallMs),
        ms(result.extraMs),
        ms(result.latencyP50Ms),
        ms(result.latencyP99Ms),
      ],
    ],
  );
  const verdict = result.collapsed
    ? `OK: ${count(result.callers)} callers collapsed into ${count(result.loads)} load(s), one per key.`
    : `FAILED: expected ${count(result.keys)} load(s) and every caller answered correctly; ` +
      `saw ${count(result.loads)} load(s) and ${count(result.wrongAnswers)} wrong answer(s).`;
  const { misses, coalescedWaits, loads, hits } = result.stats;
  const stats =
    `Cache stats: ${count(misses)} misses, ${count(coalescedWaits)} of them coalesced, ` +
    `${count(loads)} load(s), ${count(hits)} hits.`;
  return `## Cold-key burst (${over})\n\n${table}\n\n${verdict}\n${stats}`;
}

/** The PostgreSQL burst: the burst's table, then what the server counted, and the verdict. */
export function formatPostgresBurst(run: PostgresBurstResult): string {
  const { evidence } = run;
  const table = markdownTable(
    ['table', 'index scans', 'sequential scans', 'queries', 'expected'],
    [
      [
        `${run.schema}.policies`,
        count(evidence.indexScans),
        count(evidence.seqScans),
        count(evidence.queries),
        count(evidence.expected),
      ],
    ],
  );
  const verdict = run.ok
    ? `OK: the server saw exactly ${count(evidence.queries)} query(ies) for ${count(run.burst.callers)} callers, one per key.`
    : `FAILED: expected the server to see ${count(evidence.expected)} query(ies) and the burst to collapse; ` +
      `it saw ${count(evidence.queries)}, and the cache made ${count(run.burst.loads)} load(s) with ` +
      `${count(run.burst.wrongAnswers)} wrong answer(s).`;
  const { scopedRead } = run;
  const reads = markdownTable(
    ['read', 'µs/read (median)', 'ratio', 'vs'],
    [
      [
        'plain: one prepared SELECT, tenant set for the session',
        scopedRead.plainUs.toFixed(1),
        '1.00×',
        '',
      ],
      [
        'scoped: getPolicyForTenant (tenant set for that query only)',
        scopedRead.scopedUs.toFixed(1),
        `${scopedRead.ratio.toFixed(2)}×`,
        'plain',
      ],
    ],
  );
  const security = run.role.rowLevelSecurity
    ? `as the unprivileged role ${run.role.name}, so row-level security filtered every read`
    : `as ${run.role.name}, which bypasses row-level security (the bench may not create a role here)`;
  return (
    `${formatBurst(run.burst, `PgPolicyStore on PostgreSQL at ${run.server}`)}\n\n` +
    `## What the server counted\n\nFrom ${evidence.source}, read after every connection of the ` +
    `burst's pool had closed (schema ${run.schema}, dropped since).\n\n${table}\n\n${verdict}\n\n` +
    `## Tenant-scoped read vs a plain read (medians of ${count(scopedRead.settings.reads)} reads ` +
    `of each, alternating, one connection each, both decoding the body, ${security})\n\n${reads}`
  );
}
