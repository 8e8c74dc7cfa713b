import { z } from 'zod';
import { parseCliArgs, wholeNumberFlag } from '../lib/args.js';

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
each invalidation transport: PostgreSQL LISTEN/NOTIFY (PgInvalidationSubscriber),
Redis Streams (RedisInvalidationSubscriber) and the Agent Assembly gateway's gRPC
stream (GatewayInvalidationSubscriber, against the in-process test gateway). A
writer here commits each change with PgPolicyStore.putPolicy (and, for Redis,
then publishes it; for the gateway, then sends it); a listener in a child
process, with its own cache over the same store, reports the moment it applied
the invalidation. Needs PostgreSQL (AA_PG_URL) and Redis (AA_REDIS_URL); exits 1
if any invalidation never arrives.

  --rounds N        measured changes per transport, 1..100000      (default 200)
  --timeout-ms MS   how long one invalidation may take, 10..60000  (default 2000)
  --json            print one JSON document instead of the table
  --help            print this text`;

const argsSchema = z.object({
  rounds: wholeNumberFlag('--rounds', 1, 100_000).default(200),
  'timeout-ms': wholeNumberFlag('--timeout-ms', 10, 60_000).default(2_000),
  json: z.boolean().default(false),
  help: z.boolean().default(false),
});

/**
 * Parses `argv` (without the node and script paths).
 * @throws {CliArgsError} for an unknown flag, a missing value or a value out of range.
 */
export function parsePropagationArgs(argv: readonly string[]): PropagationArgs {
  const values = parseCliArgs(
    argv,
    {
      rounds: { type: 'string' },
      'timeout-ms': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    argsSchema,
  );
  const { rounds, json, help } = values;
  return { rounds, timeoutMs: values['timeout-ms'], json, help };
}
