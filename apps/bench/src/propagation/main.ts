import { randomUUID } from 'node:crypto';
import { arch, cpus, platform } from 'node:os';
import { AgentId } from '@aa/core';
import { RedisInvalidationPublisher, redisUrlFromEnv } from '@aa/invalidation-redis';
import { migrate, PgPolicyStore, pgUrlFromEnv } from '@aa/storage-postgres';
import { TestGateway } from '@aa/test-infra';
import { samplePolicy } from '@aa/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { CliArgsError } from '../lib/args.js';
import { type PropagationArgs, parsePropagationArgs, USAGE } from './args.js';
import { ListenerProcess } from './listener-process.js';
import { TRANSPORTS } from './protocol.js';
import { formatPropagation, runSucceeded } from './report.js';
import { runTransport, type TransportRun } from './run-transport.js';

/** Agents the rounds cycle through. */
const AGENTS = 16;

/** Runs the propagation bench and returns the process exit code. */
async function main(argv: readonly string[]): Promise<number> {
  let args: PropagationArgs;
  try {
    args = parsePropagationArgs(argv);
  } catch (error) {
    if (!(error instanceof CliArgsError)) throw error;
    console.error(`pnpm bench:propagation: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  let runs: TransportRun[];
  try {
    runs = await measure(args);
  } catch (error) {
    console.error(
      `pnpm bench:propagation: ${error instanceof Error ? error.message : String(error)}\n` +
        'It needs PostgreSQL (AA_PG_URL, default postgres://postgres@127.0.0.1:5432/test) and ' +
        'Redis (AA_REDIS_URL, default redis://127.0.0.1:6379).',
    );
    return 1;
  }
  const machine = `Node ${process.version}, ${platform()}/${arch()}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`;
  if (args.json) console.log(JSON.stringify({ machine, ...args, runs }, null, 2));
  else console.log(formatPropagation(runs, machine));
  return runs.every(runSucceeded) ? 0 : 1;
}

/**
 * Sets up a private schema and stream key, runs each transport against its own
 * listener process in turn, and removes everything it created.
 */
async function measure(args: PropagationArgs): Promise<TransportRun[]> {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
  const schema = `aa_bench_propagation_${suffix}`;
  const key = `aa-bench:${suffix}:invalidation`;
  const pool = new pg.Pool({
    connectionString: pgUrlFromEnv(),
    max: 4,
    connectionTimeoutMillis: 5_000,
  });
  pool.on('error', () => {});
  const publisher = new RedisInvalidationPublisher({ url: redisUrlFromEnv(), key });
  // The gateway the `gateway` listener subscribes to: the test gateway of
  // @aa/test-infra (grpc-js, the upstream gateway's semantics), in this process.
  const gateway = await TestGateway.start();
  try {
    await migrate(pool, { schema });
    const store = new PgPolicyStore(pool, { schema });
    const agents = Array.from({ length: AGENTS }, () => AgentId.parse(randomUUID()));
    for (const id of agents) {
      // A policy belongs to a registered agent (upstream's agents table).
      await store.registerAgent(id);
      await store.putPolicy(id, samplePolicy(0));
    }
    const runs: TransportRun[] = [];
    for (const transport of TRANSPORTS) {
      const listener = new ListenerProcess({
        AA_BENCH_TRANSPORT: transport,
        AA_BENCH_SCHEMA: schema,
        AA_BENCH_STREAM_KEY: key,
        AA_BENCH_GATEWAY_URL: gateway.url,
      });
      try {
        if ((await listener.next((m) => m.type === 'ready', 20_000)) === undefined) {
          throw new Error(
            `the ${transport} listener did not become ready within 20 s: ${listener.problems.join(' | ')}`,
          );
        }
        runs.push(
          await runTransport({ transport, listener, store, publisher, gateway, agents, ...args }),
        );
        await listener.close();
      } finally {
        listener.kill();
      }
    }
    return runs;
  } finally {
    await gateway.stop();
    await publisher.close();
    await cleanUp(pool, schema, key);
    await pool.end();
  }
}

async function cleanUp(pool: pg.Pool, schema: string, key: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`).catch(() => {});
  const redis = new Redis(redisUrlFromEnv(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await redis.del(key);
  } catch {
    // Nothing to delete when Redis is down.
  } finally {
    redis.disconnect();
  }
}

process.exitCode = await main(process.argv.slice(2));
