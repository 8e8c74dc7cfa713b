/**
 * `pnpm bench:compare`: @aa/cache's L1Cache against the caches users pick
 * instead, workload by workload, each in fresh worker processes. See the
 * bench app's README for the workloads and the method.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CliArgsError } from '../lib/args.js';
import { parseCompareArgs, USAGE } from './args.js';
import { formatMachine, machineInfo, peerVersions } from './machine.js';
import { PEERS, type PeerId } from './peers/catalog.js';
import type { CaseResult } from './results.js';
import { runWorkload } from './runner.js';
import { type CompareSettings, FULL_SETTINGS, QUICK_SETTINGS } from './settings.js';
import { alignedTable, formatWorkload } from './tables.js';
import { createLauncher } from './worker-launcher.js';
import { workloadById } from './workloads/catalog.js';

const QUICK_NOTE =
  '--quick: smaller sizes, one repetition, workers two or three at a time: ' +
  'a smoke run, not figures to quote.';

/** Runs the comparison and returns the process exit code. */
async function main(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parseCompareArgs>;
  try {
    args = parseCompareArgs(argv);
  } catch (error) {
    if (!(error instanceof CliArgsError)) throw error;
    console.error(`pnpm bench:compare: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }

  const base = args.quick ? QUICK_SETTINGS : FULL_SETTINGS;
  const settings: CompareSettings =
    args.reps === undefined ? base : { ...base, timedReps: args.reps, memoryReps: args.reps };
  const started = performance.now();
  const machine = machineInfo();
  const versions = await peerVersions();
  const launcher = await createLauncher(args.loader);
  const peerLabel = (id: PeerId) =>
    id === 'map' ? 'raw Map' : `${PEERS[id].packageName} ${versions[id]}`;

  const command = `pnpm bench:compare ${argv.join(' ')}`.trim();
  console.log(
    [
      '# @aa/cache compared with the caches users pick instead',
      '',
      `\`${command}\` on ${formatMachine(machine)}.`,
      `Workers: ${launcher.description}.`,
      ...(args.quick ? [`**${QUICK_NOTE}**`] : []),
      '',
      alignedTable(
        ['peer', 'used as'],
        args.peers.map((id) => [peerLabel(id), PEERS[id].usage]),
        2,
      ),
    ].join('\n'),
  );

  const report: { id: string; title: string; cases: CaseResult[] }[] = [];
  let failures = 0;
  try {
    for (const id of args.only) {
      const workload = workloadById(id);
      const cases = await runWorkload(workload, settings, args.peers, launcher, (line) =>
        console.error(`  ${line}`),
      );
      failures += cases.reduce(
        (sum, result) => sum + result.peers.reduce((count, peer) => count + peer.errors.length, 0),
        0,
      );
      console.log(`\n${formatWorkload(workload, cases, peerLabel, workload.reps(settings))}`);
      report.push({ id, title: workload.title, cases });
    }
  } finally {
    await launcher.close();
  }

  const seconds = (performance.now() - started) / 1000;
  const jsonPath = resolve(args.jsonOut);
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(
    jsonPath,
    `${JSON.stringify(
      {
        command,
        date: new Date().toISOString(),
        seconds,
        machine,
        workers: launcher.description,
        settings,
        peers: Object.fromEntries(
          args.peers.map((id) => [id, { ...PEERS[id], version: versions[id] }]),
        ),
        workloads: report,
      },
      // JSON has no NaN: a figure that could not be measured is null.
      (_, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value),
      2,
    )}\n`,
  );
  console.log(`\nFinished in ${seconds.toFixed(1)} s; JSON in ${args.jsonOut}.`);
  if (failures > 0)
    console.error(`pnpm bench:compare: ${failures} worker(s) failed; see the tables.`);
  return failures > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
