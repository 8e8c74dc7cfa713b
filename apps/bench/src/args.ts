import { z } from 'zod';
import { CliArgsError, parseCliArgs, wholeNumberFlag } from './lib/args.js';

/** Where the burst's loads go: the in-memory store, or a real PostgreSQL store. */
export type BenchSource = 'memory' | 'postgres';

/** The bench's settings, parsed and checked from the command line. */
export interface BenchArgs {
  /** What the burst loads from. */
  readonly source: BenchSource;
  /** Concurrent callers per cold key. */
  readonly concurrency: number;
  /** How long every store load takes, in milliseconds (`0` with `postgres`: it answers at its own speed). */
  readonly delayMs: number;
  /** Distinct cold keys in the burst; each gets `concurrency` callers. */
  readonly keys: number;
  /** Print one JSON document instead of tables. */
  readonly json: boolean;
  /** Print the usage and stop. */
  readonly help: boolean;
}

/** What `--help` prints. */
export const USAGE = `Usage: pnpm bench [--source memory|postgres] [--concurrency N] [--delay-ms MS] [--keys N] [--json]

Replays a burst of concurrent gets of cold keys against an L1Cache over the
in-memory policy store, and checks that each key was loaded exactly once.
Warm hits are measured by pnpm bench:compare --only hit,hit-keys,peek.

With --source postgres the burst goes to a PgPolicyStore on the PostgreSQL at
AA_PG_URL (default postgres://postgres@127.0.0.1:5432/test), in a temporary
schema dropped afterwards, and the server's own statistics must show exactly
one query per key.

  --source S        memory or postgres                           (default memory)
  --concurrency N   concurrent callers per key, 1..1000000       (default 100)
  --delay-ms MS     latency of every store load, 0..60000        (default 50, memory only)
  --keys N          distinct cold keys in the burst, 1..10000    (default 1)
  --json            print one JSON document instead of tables
  --help            print this text`;

const MAX_CALLERS = 1_000_000;

const argsSchema = z
  .object({
    source: z
      .enum(['memory', 'postgres'], {
        error: (issue) =>
          `Expected \`--source\` to be memory or postgres, got \`${String(issue.input)}\``,
      })
      .default('memory'),
    concurrency: wholeNumberFlag('--concurrency', 1, MAX_CALLERS).default(100),
    'delay-ms': wholeNumberFlag('--delay-ms', 0, 60_000).default(50),
    keys: wholeNumberFlag('--keys', 1, 10_000).default(1),
    json: z.boolean().default(false),
    help: z.boolean().default(false),
  })
  .refine((args) => args.concurrency * args.keys <= MAX_CALLERS, {
    error: (issue) => {
      const { concurrency, keys } = issue.input as { concurrency: number; keys: number };
      return `Expected \`--concurrency\` × \`--keys\` to be at most ${MAX_CALLERS}, got ${concurrency} × ${keys}`;
    },
  });

/**
 * Parses `argv` (without the node and script paths).
 * @throws {CliArgsError} for an unknown flag, a missing value or a value out of range.
 */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const values = parseCliArgs(
    argv,
    {
      source: { type: 'string' },
      concurrency: { type: 'string' },
      'delay-ms': { type: 'string' },
      keys: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    argsSchema,
  );
  const { source, concurrency, keys, json, help } = values;
  // Only an explicit --delay-ms contradicts postgres, not the default.
  const delayGiven = argv.some((arg) => arg === '--delay-ms' || arg.startsWith('--delay-ms='));
  if (source === 'postgres' && delayGiven) {
    throw new CliArgsError(
      'Expected `--delay-ms` only with `--source memory` (PostgreSQL answers at its own speed)',
    );
  }
  const delayMs = source === 'postgres' ? 0 : values['delay-ms'];
  return { source, concurrency, delayMs, keys, json, help };
}
