import { arch, cpus, platform } from 'node:os';
import { CliArgsError } from '../lib/args.js';
import { runSoak } from './run-soak.js';
import { parseSoakArgs, SOAK_USAGE } from './soak-args.js';
import { formatSoakReport } from './soak-report.js';

/** How long past its planned end the soak may take before it is declared stuck. */
const WATCHDOG_GRACE_MS = 60_000;

/** Runs the soak and returns the process exit code: 0 passed, 1 failed, 2 bad arguments. */
async function main(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parseSoakArgs>;
  try {
    args = parseSoakArgs(argv);
  } catch (error) {
    if (!(error instanceof CliArgsError)) throw error;
    console.error(`pnpm soak: ${error.message}\n\n${SOAK_USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(SOAK_USAGE);
    return 0;
  }

  // A backstop: the soak bounds every wait itself, but if a promise it awaits
  // never settles, this keeps the process alive long enough to say so.
  const durationMs = args.seconds * 1_000;
  const watchdog = setTimeout(() => {
    console.error(
      `pnpm soak: still running ${WATCHDOG_GRACE_MS / 1_000} s past its end; giving up`,
    );
    process.exit(1);
  }, durationMs + WATCHDOG_GRACE_MS);

  const machine = `Node ${process.version}, ${platform()}/${arch()}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`;
  console.log(
    `${machine}\nsoak: ${args.seconds} s, seed ${args.seed} (replay with --seed ${args.seed})`,
  );
  const report = await runSoak({
    durationMs,
    seed: args.seed,
    log: (line) => console.log(`soak: ${line}`),
  });
  clearTimeout(watchdog);
  console.log(`\n${formatSoakReport(report)}`);
  return report.passed ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
