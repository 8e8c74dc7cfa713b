import { arch, cpus, platform } from 'node:os';
import { BenchArgsError, parseBenchArgs, USAGE } from './args.js';
import { runBurst } from './burst.js';
import { DEFAULT_HIT_SETTINGS, runHitBench } from './hit-bench.js';
import { formatBurst, formatHits } from './report.js';

/** Runs the bench and returns the process exit code. */
async function main(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parseBenchArgs>;
  try {
    args = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof BenchArgsError)) throw error;
    console.error(`pnpm bench: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }

  const burst = await runBurst(args);
  const hits = await runHitBench(DEFAULT_HIT_SETTINGS);
  const machine = `Node ${process.version}, ${platform()}/${arch()}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`;

  if (args.json) {
    console.log(
      JSON.stringify({ machine, burst, hits, hitSettings: DEFAULT_HIT_SETTINGS }, null, 2),
    );
  } else {
    console.log(
      `# @aa/cache bench\n\n${machine}\n\n${formatBurst(burst)}\n\n${formatHits(hits, DEFAULT_HIT_SETTINGS)}`,
    );
  }
  return burst.collapsed ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
