import { z } from 'zod';
import { parseCliArgs, wholeNumberFlag } from '../lib/args.js';

/** The soak's settings, parsed and checked from the command line. */
export interface SoakArgs {
  /** How long to drive traffic, in seconds (warm-up included). */
  readonly seconds: number;
  /** Seeds every random choice; printed, so a failing run can be narrowed down. */
  readonly seed: number;
  /** Print the usage and stop. */
  readonly help: boolean;
}

/** What `--help` prints. */
export const SOAK_USAGE = `Usage: pnpm soak [--seconds N] [--seed N]

Drives random traffic (Zipf-distributed agent ids, gets with and without abort
signals, invalidations, clears and backend writes) through an L1Cache with every
production option on, over a backend with random latency, 5 % failures and 1 %
hangs. Checks the cache's invariants throughout and exits 1 on any violation,
or when the heap grew past its bound.

  --seconds N   how long to drive traffic, 1..3600            (default 60)
  --seed N      seed of every random choice, 0..4294967295    (default: random, printed)
  --help        print this text`;

const MAX_SEED = 0xffff_ffff;

const argsSchema = z.object({
  seconds: wholeNumberFlag('--seconds', 1, 3_600).default(60),
  seed: wholeNumberFlag('--seed', 0, MAX_SEED).optional(),
  help: z.boolean().default(false),
});

/**
 * Parses `argv` (without the node and script paths). A leading `--`, which
 * some package-manager versions pass through, is ignored.
 *
 * @param randomSeed - the seed to use when `--seed` is absent.
 * @throws {CliArgsError} for an unknown flag, a missing value or a value out of range.
 */
export function parseSoakArgs(
  argv: readonly string[],
  randomSeed: () => number = () => Math.floor(Math.random() * (MAX_SEED + 1)),
): SoakArgs {
  const values = parseCliArgs(
    argv,
    {
      seconds: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    argsSchema,
  );
  const { seconds, seed, help } = values;
  return { seconds, seed: seed ?? randomSeed(), help };
}
