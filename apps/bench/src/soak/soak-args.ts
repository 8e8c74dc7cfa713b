import { parseArgs } from 'node:util';
import { z } from 'zod';

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

const wholeNumber = (flag: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `Expected ${flag} to be a whole number` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `Expected ${flag} to be at least ${min}` })
        .max(max, { error: `Expected ${flag} to be at most ${max}` }),
    );

const argsSchema = z.object({
  seconds: wholeNumber('--seconds', 1, 3_600).default(60),
  seed: wholeNumber('--seed', 0, MAX_SEED).optional(),
  help: z.boolean().default(false),
});

/** Thrown for command-line input the soak cannot run with; the message says why. */
export class SoakArgsError extends Error {
  override readonly name = 'SoakArgsError';
}

/**
 * Parses `argv` (without the node and script paths). A leading `--`, which
 * some package-manager versions pass through, is ignored.
 *
 * @param randomSeed - the seed to use when `--seed` is absent.
 * @throws {SoakArgsError} for an unknown flag, a missing value or a value out of range.
 */
export function parseSoakArgs(
  argv: readonly string[],
  randomSeed: () => number = () => Math.floor(Math.random() * (MAX_SEED + 1)),
): SoakArgs {
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        seconds: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new SoakArgsError((error as Error).message, { cause: error });
  }
  const result = argsSchema.safeParse(values);
  if (!result.success) {
    throw new SoakArgsError(result.error.issues.map((issue) => issue.message).join('; '), {
      cause: result.error,
    });
  }
  const { seconds, seed, help } = result.data;
  return { seconds, seed: seed ?? randomSeed(), help };
}
