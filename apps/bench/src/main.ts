import { arch, cpus, platform } from 'node:os';
import { type BenchArgs, parseBenchArgs, USAGE } from './args.js';
import { runBurst } from './burst.js';
import { CliArgsError } from './lib/args.js';
import { runPostgresBurst } from './postgres-source.js';
import { formatBurst, formatPostgresBurst } from './report.js';

// The warm hit has one measurement, bench:compare's (a fresh process per
// repetition, interleaved with the peers); a second one here, in one process,
// gave the repository two sets of figures for one claim.
const WARM_HIT_POINTER =
  'Warm hits are measured by `pnpm bench:compare --only hit,hit-keys,peek` ' +
  '(a fresh process per repetition, against a raw Map and lru-cache); see apps/bench/README.md.';

/** Runs the bench and returns the process exit code. */
async function main(argv: readonly string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof CliArgsError)) throw error;
    console.error(`pnpm bench: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const machine = `Node ${process.version}, ${platform()}/${arch()}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`;
  return args.source === 'postgres' ? postgres(args, machine) : memory(args, machine);
}

async function memory(args: BenchArgs, machine: string): Promise<number> {
  const burst = await runBurst(args);
  if (args.json) {
    console.log(JSON.stringify({ machine, burst }, null, 2));
  } else {
    console.log(`# @aa/cache bench\n\n${machine}\n\n${formatBurst(burst)}\n\n${WARM_HIT_POINTER}`);
  }
  return burst.collapsed ? 0 : 1;
}

async function postgres(args: BenchArgs, machine: string): Promise<number> {
  let run: Awaited<ReturnType<typeof runPostgresBurst>>;
  try {
    run = await runPostgresBurst(args);
  } catch (error) {
    console.error(
      `pnpm bench --source postgres: ${error instanceof Error ? error.message : String(error)}\n` +
        'Start PostgreSQL or point AA_PG_URL at one (default postgres://postgres@127.0.0.1:5432/test).',
    );
    return 1;
  }
  if (args.json) {
    console.log(JSON.stringify({ machine, source: 'postgres', ...run }, null, 2));
  } else {
    console.log(
      `# @aa/cache bench (--source postgres)\n\n${machine}\n\n${formatPostgresBurst(run)}`,
    );
  }
  return run.ok ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
