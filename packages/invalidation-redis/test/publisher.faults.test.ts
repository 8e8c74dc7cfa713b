import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { AgentId } from '@aa/core';
import { FaultProxy, REDIS_URL, redisAvailable, waitUntil } from '@aa/test-infra';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  INVALIDATION_ERROR_CODES,
  isInvalidationError,
  RedisInvalidationPublisher,
} from '../src/index.js';

const available = await redisAvailable();
const newAgent = () => AgentId.parse(randomUUID());
const unconfirmed = (error: unknown) =>
  isInvalidationError(error, INVALIDATION_ERROR_CODES.Unconfirmed);

describe.runIf(available)('RedisInvalidationPublisher under faults', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function throughProxy(options: { timeoutMs: number }) {
    const { hostname, port } = new URL(REDIS_URL);
    const proxy = await FaultProxy.start({ host: hostname, port: Number(port || 6379) });
    const key = `aa:publisher-faults:${randomUUID()}`;
    const publisher = new RedisInvalidationPublisher({
      url: proxy.urlFor(REDIS_URL),
      key,
      timeoutMs: options.timeoutMs,
    });
    cleanups.push(async () => {
      await publisher.close();
      await proxy.close();
      const admin = new Redis(REDIS_URL);
      await admin.del(key);
      await admin.quit();
    });
    return { proxy, publisher };
  }

  it('rejects Unconfirmed within timeoutMs when the server accepts the connection and never answers', async () => {
    const { proxy, publisher } = await throughProxy({ timeoutMs: 300 });
    proxy.goSilent();
    const started = performance.now();
    await expect(publisher.publish(newAgent())).rejects.toSatisfy(unconfirmed);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('rejects Unconfirmed when an established connection goes silent, then publishes on a fresh one', async () => {
    const { proxy, publisher } = await throughProxy({ timeoutMs: 300 });
    await publisher.publish(newAgent());
    proxy.goSilent();
    const error = await publisher.publish(newAgent()).catch((caught: unknown) => caught);
    expect(unconfirmed(error), String(error)).toBe(true);
    expect((error as Error).cause).toMatchObject({ code: INVALIDATION_ERROR_CODES.Timeout });
    proxy.heal();
    await expect(publisher.publish(newAgent())).resolves.toMatch(/^\d+-\d+$/);
  });

  it('leaves no socket open once closed after a publish on a silent connection was given up', async () => {
    const { proxy, publisher } = await throughProxy({ timeoutMs: 300 });
    await publisher.publish(newAgent());
    proxy.goSilent();
    await expect(publisher.publish(newAgent())).rejects.toSatisfy(unconfirmed);
    await publisher.close();
    // The dropped connection's socket is gone too, not left to a driver timer.
    expect(proxy.connections).toBe(0);
  });

  it('rejects Unconfirmed, with the driver error as cause, when Redis is unreachable', async () => {
    const port = await freePort();
    const publisher = new RedisInvalidationPublisher({ url: `redis://127.0.0.1:${port}` });
    cleanups.push(() => publisher.close());
    const error = await publisher.publish(newAgent()).catch((caught: unknown) => caught);
    expect(unconfirmed(error), String(error)).toBe(true);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  describe('waitForReplicas', () => {
    it('resolves once a replica acknowledged, and rejects Unconfirmed while none can', async () => {
      const primary = await startRedis([]);
      cleanups.push(() => primary.stop());
      const replica = await startRedis(['--replicaof', '127.0.0.1', String(primary.port)]);
      cleanups.push(() => replica.stop());
      const admin = new Redis(primary.port, '127.0.0.1');
      cleanups.push(async () => void (await admin.quit()));
      await waitUntil(
        async () => /slave0:.*state=online/.test(await admin.info('replication')),
        'the replica to be in sync',
        10_000,
      );
      const publisher = new RedisInvalidationPublisher({
        url: `redis://127.0.0.1:${primary.port}`,
        waitForReplicas: 1,
        replicaTimeoutMs: 300,
        timeoutMs: 2_000,
      });
      cleanups.push(() => publisher.close());
      await expect(publisher.publish(newAgent())).resolves.toMatch(/^\d+-\d+$/);

      // A replica that stops acknowledging (a lagging or partitioned one).
      replica.process.kill('SIGSTOP');
      try {
        const error = await publisher.publish(newAgent()).catch((caught: unknown) => caught);
        expect(unconfirmed(error), String(error)).toBe(true);
        expect(String((error as Error).message)).toMatch(/0 of 1 replicas/);
      } finally {
        replica.process.kill('SIGCONT');
      }
    }, 30_000);
  });
});

interface RedisProcess {
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** A throwaway `redis-server` on a free port, no persistence, killed by `stop()`. */
async function startRedis(args: readonly string[]): Promise<RedisProcess> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => {});
  await waitUntil(
    async () => {
      try {
        if (probe.status !== 'ready') await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        probe.disconnect();
        return false;
      }
    },
    `redis-server on port ${port} to answer`,
    10_000,
  );
  probe.disconnect();
  return {
    port,
    process: child,
    async stop() {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });
}
