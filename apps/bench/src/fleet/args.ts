import { z } from 'zod';
import { parseCliArgs, wholeNumberFlag } from '../lib/args.js';

/** The fleet bench's settings, parsed and checked from the command line. */
export interface FleetArgs {
  /** Instances that cold-start together. */
  readonly processes: number;
  /** Agents each instance reads once. */
  readonly agents: number;
  /** Print one JSON document instead of the table. */
  readonly json: boolean;
  /** Print the usage and stop. */
  readonly help: boolean;
}

/** What `--help` prints. */
export const USAGE = `Usage: pnpm bench:fleet [--processes K] [--agents M] [--json]

A fleet of K instances (child processes, each an L1Cache over PgPolicyStore)
cold-starts at once against one PostgreSQL with M agents: each instance reads
every agent once, all at once. Three runs: without the L2, with the Redis L2
empty (a first deploy), and with the L2 the previous run filled (a redeploy or
an autoscale). It prints the queries the server counted and the p50 and p99 of
a cold get. Needs PostgreSQL (AA_PG_URL) and Redis (AA_REDIS_URL; it uses and
empties database 14, or AA_FLEET_REDIS_DB).

  --processes K   instances, 1..32        (default 4)
  --agents M      agents, 1..10000        (default 200)
  --json          print one JSON document instead of the table
  --help          print this text`;

const argsSchema = z.object({
  processes: wholeNumberFlag('--processes', 1, 32).default(4),
  agents: wholeNumberFlag('--agents', 1, 10_000).default(200),
  json: z.boolean().default(false),
  help: z.boolean().default(false),
});

/**
 * Parses `argv` (without the node and script paths).
 * @throws {CliArgsError} for an unknown flag, a missing value or a value out of range.
 */
export function parseFleetArgs(argv: readonly string[]): FleetArgs {
  return parseCliArgs(
    argv,
    {
      processes: { type: 'string' },
      agents: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    argsSchema,
  );
}
