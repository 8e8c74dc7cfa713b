import { parseArgs } from 'node:util';
import { z } from 'zod';

/** The propagation bench's settings, parsed and checked from the command line. */
export interface PropagationArgs {
  /** Measured rounds per transport (after the warm-up rounds). */
  readonly rounds: number;
  /** How long one invalidation may take to arrive before it counts as lost, in ms. */
  readonly timeoutMs: number;
  /** Print one JSON document instead of the table. */
  readonly json: boolean;
  /** Print the usage and stop. */
  readonly help: boolean;
}

/** What `--help` prints. */
export const USAGE = `Usage: pnpm bench:propagation [--rounds N] [--timeout-ms MS] [--json]

Measures how long a policy change takes to reach another process's L1Cache, for
each invalidation transport: PostgreSQL LISTEN/NOTIFY (PgInvalidationSubscriber)
and Redis Streams (RedisInvalidationSubscriber). A writer here commits each
change with PgPolicyStore.putPolicy (and, for Redis, then publishes it); a
listener in a child process, with its own cache over the same store, reports the
moment it applied the invalidation. Needs PostgreSQL (AA_PG_URL) and Redis
(AA_REDIS_URL); exits 1 if any invalidation never arrives.

  --rounds N        measured changes per transport, 1..100000      (default 200)
  --timeout-ms MS   how long one invalidation may take, 10..60000  (default 2000)
  --json            print one JSON document instead of the table
  --help            print this text`;

const integerFlag = (flag: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `Expected ${flag} to be a whole number` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `Expected ${flag} to be at least ${min}` })
        .max(max, { error: `Expected ${flag} to be at most ${max}` }),
    )
    .default(fallback);

const argsSchema = z.object({
  rounds: integerFlag('--rounds', 1, 100_000, 200),
  'timeout-ms': integerFlag('--timeout-ms', 10, 60_000, 2_000),
  json: z.boolean().default(false),
  help: z.boolean().default(false),
});

/** Thrown for command-line input the bench cannot run with; the message says why. */
export class PropagationArgsError extends Error {
  override readonly name = 'PropagationArgsError';
}

/**
 * Parses `argv` (without the node and script paths).
 * @throws {PropagationArgsError} for an unknown flag, a missing value or a value out of range.
 */
export function parsePropagationArgs(argv: readonly string[]): PropagationArgs {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        rounds: { type: 'string' },
        'timeout-ms': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new PropagationArgsError((error as Error).message, { cause: error });
  }
  const result = argsSchema.safeParse(values);
  if (!result.success) {
    throw new PropagationArgsError(result.error.issues.map((issue) => issue.message).join('; '), {
      cause: result.error,
    });
  }
  const { rounds, json, help } = result.data;
  return { rounds, timeoutMs: result.data['timeout-ms'], json, help };
}
