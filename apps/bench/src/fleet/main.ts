import { randomUUID } from 'node:crypto';
import { arch, cpus, platform } from 'node:os';
import { AgentId } from '@aa/core';
import { migrate, pgUrlFromEnv } from '@aa/storage-postgres';
import type { TieredSourceStats } from '@aa/storage-redis';
import { ChildInstance, type ChildMessage } from '@aa/test-infra/child-instance';
import { redisUrlOf } from '@aa/test-infra/redis-test-bed';
import { Redis } from 'ioredis';
import pg from 'pg';
import { CliArgsError } from '../lib/args.js';
import { markdownTable } from '../lib/markdown-table.js';
import { quantile } from '../lib/statistics.js';
import { PolicyScanCounter } from '../policy-scans.js';
import { type RuntimeRole, runtimeRole } from '../runtime-role.js';
import { seedPolicies } from '../seed-policies.js';
import { type FleetArgs, parseFleetArgs, USAGE } from './args.js';

const INSTANCE = new URL('./instance.ts', import.meta.url);
const BENCH_ROOT = new URL('../..', import.meta.url);
const READY_TIMEOUT_MS = 30_000;
const RUN_TIMEOUT_MS = 120_000;
const CLOSE_TIMEOUT_MS = 10_000;

/** One cold start of the whole fleet. */
interface FleetRun {
  readonly name: string;
  /** Queries that read the policies table, as the server counted them. */
  readonly queries: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The instances' tiered-source counters, summed (with the L2 only). */
  readonly l2: TieredSourceStats | undefined;
}

async function main(argv: readonly string[]): Promise<number> {
  let args: FleetArgs;
  try {
    args = parseFleetArgs(argv);
  } catch (error) {
    if (!(error instanceof CliArgsError)) throw error;
    console.error(`pnpm bench:fleet: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  let runs: FleetRun[];
  try {
    runs = await measure(args);
  } catch (error) {
    console.error(
      `pnpm bench:fleet: ${error instanceof Error ? error.message : String(error)}\n` +
        'It needs PostgreSQL (AA_PG_URL) and Redis (AA_REDIS_URL).',
    );
    return 1;
  }
  const machine = `Node ${process.version}, ${platform()}/${arch()}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`;
  if (args.json) console.log(JSON.stringify({ machine, ...args, runs }, null, 2));
  else console.log(format(runs, args, machine));
  return 0;
}

async function measure(args: FleetArgs): Promise<FleetRun[]> {
  const pgUrl = pgUrlFromEnv();
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
  const schema = `aa_bench_fleet_${suffix}`;
  const redisUrl = redisUrlOf(fleetRedisDb());
  const admin = new pg.Pool({ connectionString: pgUrl, max: 2, connectionTimeoutMillis: 5_000 });
  admin.on('error', () => {});
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await migrate(admin, { schema });
    const agents = Array.from({ length: args.agents }, () => AgentId.parse(randomUUID()));
    await seedPolicies(admin, schema, agents);
    const role = await runtimeRole(admin, pgUrl, schema);
    await redis.flushdb();
    const fleet = { admin, schema, role, agents, processes: args.processes };
    return [
      await coldStart(fleet, 'without the L2', undefined),
      await coldStart(fleet, 'with the L2, empty', redisUrl),
      await coldStart(fleet, 'with the L2 the previous run filled', redisUrl),
    ];
  } finally {
    await admin
      .query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`)
      .catch(() => {});
    await redis.flushdb().catch(() => {});
    redis.disconnect();
    await admin.end();
  }
}

/**
 * The Redis database the bench uses and empties: `AA_FLEET_REDIS_DB`, else 14.
 * @throws when `AA_FLEET_REDIS_DB` is not a database number.
 */
function fleetRedisDb(): number {
  const { AA_FLEET_REDIS_DB } = process.env;
  if (AA_FLEET_REDIS_DB === undefined || AA_FLEET_REDIS_DB === '') return 14;
  if (!/^\d+$/.test(AA_FLEET_REDIS_DB)) {
    throw new Error(
      `AA_FLEET_REDIS_DB is not a database number: ${JSON.stringify(AA_FLEET_REDIS_DB)}`,
    );
  }
  return Number(AA_FLEET_REDIS_DB);
}

interface Fleet {
  readonly admin: pg.Pool;
  readonly schema: string;
  readonly role: RuntimeRole;
  readonly agents: readonly AgentId[];
  readonly processes: number;
}

/** Starts the fleet, lets every instance read every agent at once, and counts. */
async function coldStart(
  fleet: Fleet,
  name: string,
  redisUrl: string | undefined,
): Promise<FleetRun> {
  const app = `aa-bench-fleet-${randomUUID().slice(0, 8)}`;
  const counter = await PolicyScanCounter.start(fleet.admin, fleet.schema);
  const children = Array.from(
    { length: fleet.processes },
    () =>
      new ChildInstance({
        script: INSTANCE,
        cwd: BENCH_ROOT,
        env: {
          AA_FLEET_PG_URL: fleet.role.url,
          AA_FLEET_SCHEMA: fleet.schema,
          AA_FLEET_APP: app,
          AA_FLEET_AGENTS: fleet.agents.join(','),
          ...(redisUrl === undefined ? {} : { AA_FLEET_REDIS_URL: redisUrl }),
        },
      }),
  );
  try {
    await Promise.all(children.map((child) => child.next('ready', READY_TIMEOUT_MS)));
    for (const child of children) child.send({ type: 'go' });
    const results = (await Promise.all(
      children.map((child) => child.next('done', RUN_TIMEOUT_MS)),
    )) as (ChildMessage & { latencies: number[]; stats?: TieredSourceStats })[];
    await Promise.all(children.map((child) => child.close(CLOSE_TIMEOUT_MS)));
    const scans = await counter.scansAfter(app);
    const latencies = results.flatMap((result) => result.latencies);
    return {
      name,
      queries: scans.indexScans + scans.seqScans,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      l2: redisUrl === undefined ? undefined : sumStats(results.map((result) => result.stats)),
    };
  } finally {
    for (const child of children) child.kill();
  }
}

function sumStats(all: readonly (TieredSourceStats | undefined)[]): TieredSourceStats {
  const total: Record<string, number> = {};
  for (const stats of all) {
    for (const [name, value] of Object.entries(stats ?? {}))
      total[name] = (total[name] ?? 0) + value;
  }
  return total as unknown as TieredSourceStats;
}

function format(runs: readonly FleetRun[], args: FleetArgs, machine: string): string {
  const table = markdownTable(
    [
      'fleet',
      'Postgres queries',
      'per agent',
      'cold get p50 ms',
      'cold get p99 ms',
      'L2 hits',
      'L2 fills',
      'L2 errors (read / fill)',
    ],
    runs.map((run) => [
      run.name,
      String(run.queries),
      (run.queries / args.agents).toFixed(2),
      run.p50Ms.toFixed(1),
      run.p99Ms.toFixed(1),
      run.l2 === undefined ? '' : String(run.l2.l2Hits),
      run.l2 === undefined ? '' : String(run.l2.fills),
      run.l2 === undefined ? '' : `${run.l2.l2Errors} / ${run.l2.fillErrors}`,
    ]),
  );
  return (
    `# Fleet cold start: ${args.processes} instances × ${args.agents} agents\n\n${machine}\n\n` +
    'Every instance reads every agent once, all at once, through its own L1Cache (one load per ' +
    'key per instance). Queries are what PostgreSQL counted on the policies table ' +
    '(pg_stat_user_tables); latencies are of every cold get of every instance.\n\n' +
    table
  );
}

process.exitCode = await main(process.argv.slice(2));
