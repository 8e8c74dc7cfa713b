/**
 * The "other instance" of the propagation bench, in a process of its own: an
 * L1Cache over the same PgPolicyStore as the writer, kept fresh by one
 * transport's subscriber, reporting over IPC the moment each invalidation is
 * applied. Started by `listener-process.ts`; see `protocol.ts` for messages.
 */
import { L1Cache } from '@aa/cache';
import { AgentId, type InvalidationSink, type PolicyDocument } from '@aa/core';
import { GatewayInvalidationSubscriber } from '@aa/invalidation-gateway';
import { RedisInvalidationSubscriber, redisUrlFromEnv } from '@aa/invalidation-redis';
import { PgInvalidationSubscriber, PgPolicyStore, pgUrlFromEnv } from '@aa/storage-postgres';
import pg from 'pg';
import { type FromListener, type ToListener, wallClock } from './protocol.js';

const {
  AA_BENCH_TRANSPORT: transport,
  AA_BENCH_SCHEMA: schema,
  AA_BENCH_STREAM_KEY: key,
  AA_BENCH_GATEWAY_URL: gatewayUrl,
} = process.env;
if (
  schema === undefined ||
  key === undefined ||
  gatewayUrl === undefined ||
  process.send === undefined
) {
  throw new Error('started by the propagation bench: needs AA_BENCH_* variables and IPC');
}
const send = (message: FromListener) => process.send?.(message);

const pool = new pg.Pool({
  connectionString: pgUrlFromEnv(),
  max: 2,
  connectionTimeoutMillis: 5_000,
});
pool.on('error', () => {});
const cache = new L1Cache<AgentId, PolicyDocument>(new PgPolicyStore(pool, { schema }), {
  ttlMs: 600_000,
});
const sink: InvalidationSink<AgentId> = {
  invalidate(id) {
    const hadEntry = cache.invalidate(id);
    // Read once the cache has dropped its copy: where the measured span ends.
    send({ type: 'invalidated', id, at: wallClock(), hadEntry });
  },
  clear() {
    cache.clear();
    send({ type: 'cleared', at: wallClock() });
  },
};
const onError = (error: Error) => send({ type: 'error', message: error.message });
const subscriber =
  transport === 'postgres'
    ? new PgInvalidationSubscriber({ connection: pgUrlFromEnv(), schema, sink, onError })
    : transport === 'gateway'
      ? new GatewayInvalidationSubscriber({
          url: gatewayUrl,
          assemblyId: 'bench-listener',
          sink,
          onError,
        })
      : new RedisInvalidationSubscriber({ url: redisUrlFromEnv(), key, sink, onError });

process.on('message', (message: ToListener) => {
  if (message.type === 'close') {
    void subscriber.close().then(async () => {
      cache.dispose();
      await pool.end();
      process.disconnect();
    });
    return;
  }
  const id = AgentId.parse(message.id);
  cache.get(id).then(
    (policy) =>
      send({ type: message.type === 'prime' ? 'primed' : 'got', id, version: policy.version }),
    (error: unknown) => send({ type: 'failed', message: String(error) }),
  );
});

await subscriber.start();
send({ type: 'ready' });
