/**
 * One instance of the cold-starting fleet of `pnpm bench:fleet`, in a process of
 * its own: an L1Cache over PgPolicyStore, directly or through the Redis L2.
 * Started by the parent with `node --conditions=@aa/source --import tsx` and
 * the settings of {@link FleetInstanceEnv} in its environment. On `go`, it reads
 * every agent once, all at once, and answers with each read's latency.
 */
import { L1Cache } from '@aa/cache';
import { type AgentId, type PolicyDocument, SYSTEM_ORG_ID, TenantAgentKey } from '@aa/core';
import { PgPolicyStore } from '@aa/storage-postgres';
import { RedisPolicyCache, TieredPolicySource } from '@aa/storage-redis';
import pg from 'pg';

const env = process.env;
const { AA_FLEET_PG_URL, AA_FLEET_SCHEMA, AA_FLEET_APP, AA_FLEET_AGENTS, AA_FLEET_REDIS_URL } = env;
if (
  AA_FLEET_PG_URL === undefined ||
  AA_FLEET_SCHEMA === undefined ||
  AA_FLEET_APP === undefined ||
  AA_FLEET_AGENTS === undefined ||
  process.send === undefined
) {
  throw new Error('started by pnpm bench:fleet: needs its environment and an IPC channel');
}
const send = (message: Record<string, unknown>) => process.send?.(message);
const agents = AA_FLEET_AGENTS.split(',') as AgentId[];

const pool = new pg.Pool({
  connectionString: AA_FLEET_PG_URL,
  connectionTimeoutMillis: 10_000,
  max: 4,
  application_name: AA_FLEET_APP,
});
pool.on('error', () => {});
const store = new PgPolicyStore(pool, { schema: AA_FLEET_SCHEMA, timeoutMs: 30_000 });
const l2 =
  AA_FLEET_REDIS_URL === undefined ? undefined : new RedisPolicyCache({ url: AA_FLEET_REDIS_URL });
await l2?.connect();
const source =
  l2 === undefined ? store.tenantSource() : new TieredPolicySource({ l2, origin: store });
const cache = new L1Cache<TenantAgentKey, PolicyDocument>(source, { ttlMs: 60_000 });
// One connection up before the start, as a running service has: the bench
// measures cold caches, not cold sockets.
await pool.query('SELECT 1');

process.on('message', async (message: { type: string }) => {
  if (message.type === 'go') {
    const latencies = await Promise.all(
      agents.map(async (agent) => {
        const started = performance.now();
        await cache.get(TenantAgentKey.of(SYSTEM_ORG_ID, agent));
        return performance.now() - started;
      }),
    );
    const stats = source instanceof TieredPolicySource ? source.stats() : undefined;
    send({ type: 'done', latencies, stats });
  } else if (message.type === 'close') {
    cache.dispose();
    await l2?.close();
    await pool.end();
    process.disconnect();
  }
});
send({ type: 'ready' });
