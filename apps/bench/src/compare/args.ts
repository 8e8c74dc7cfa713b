import { z } from 'zod';
import { parseCliArgs, wholeNumberFlag } from '../lib/args.js';
import { PEER_IDS, type PeerId } from './peers/catalog.js';
import type { WorkerLoader } from './worker-launcher.js';
import { WORKLOAD_IDS, type WorkloadId } from './workloads/case-params.js';

/** The comparison's settings, parsed and checked from the command line. */
export interface CompareArgs {
  /** Smaller sizes and one repetition: every workload in under a minute. */
  readonly quick: boolean;
  /** The workloads to run, in report order. */
  readonly only: readonly WorkloadId[];
  /** The peers to run, in report order. */
  readonly peers: readonly PeerId[];
  /** Repetitions (worker processes per peer) for timed and memory workloads; default per mode. */
  readonly reps: number | undefined;
  /** Where the JSON results go, relative to the working directory. */
  readonly jsonOut: string;
  /** How worker processes run the TypeScript worker. */
  readonly loader: WorkerLoader;
  /** Print the usage and stop. */
  readonly help: boolean;
}

/** What `--help` prints. */
export const USAGE = `Usage: pnpm bench:compare [--quick] [--only W,...] [--peers P,...] [--reps N]
                          [--json-out PATH] [--loader bundle|tsx]

Compares @aa/cache's L1Cache with the caches users pick instead, each workload
in fresh node processes (one per peer and repetition, interleaved), and prints
one markdown table per workload.

  --quick            every workload, smaller and once: under a minute
  --only W,...       workloads to run (default all):
                     ${WORKLOAD_IDS.join(', ')}
  --peers P,...      peers to run (default all; ratios need map and lru-cache):
                     ${PEER_IDS.join(', ')}
  --reps N           processes per peer for the timed and memory workloads, 1..50
                     (default 5 timed / 3 memory; 1 with --quick)
  --json-out PATH    where to write the JSON results (default bench-results/compare.json)
  --loader L         how workers load TypeScript: bundle (esbuild once, then plain
                     node; default) or tsx (node --import tsx per worker)
  --help             print this text`;

const listFlag = <T extends string>(flag: string, allowed: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((value) => value.split(',').map((item) => item.trim()))
    .pipe(
      z.array(
        z.enum(allowed, {
          error: (issue) =>
            `Expected \`${flag}\` to list some of ${allowed.join(', ')}, got \`${String(issue.input)}\``,
        }),
      ),
    )
    .refine((items) => items.length > 0, { error: `Expected \`${flag}\` to name at least one` })
    // Report order, whatever order they were given in.
    .transform((items) => allowed.filter((item) => items.includes(item)))
    .optional();

const argsSchema = z.object({
  quick: z.boolean().default(false),
  only: listFlag('--only', WORKLOAD_IDS),
  peers: listFlag('--peers', PEER_IDS),
  reps: wholeNumberFlag('--reps', 1, 50).optional(),
  'json-out': z
    .string()
    .min(1, { error: 'Expected `--json-out` to be a path, got an empty string' })
    .default('bench-results/compare.json'),
  loader: z
    .enum(['bundle', 'tsx'], {
      error: (issue) => `Expected \`--loader\` to be bundle or tsx, got \`${String(issue.input)}\``,
    })
    .default('bundle'),
  help: z.boolean().default(false),
});

/**
 * Parses `argv` (without the node and script paths).
 * @throws {CliArgsError} for an unknown flag, a missing value or a value out of range.
 */
export function parseCompareArgs(argv: readonly string[]): CompareArgs {
  const values = parseCliArgs(
    argv,
    {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      peers: { type: 'string' },
      reps: { type: 'string' },
      'json-out': { type: 'string' },
      loader: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    argsSchema,
  );
  const { quick, only, peers, reps, 'json-out': jsonOut, loader, help } = values;
  return {
    quick,
    only: only ?? WORKLOAD_IDS,
    peers: peers ?? PEER_IDS,
    reps,
    jsonOut,
    loader,
    help,
  };
}
