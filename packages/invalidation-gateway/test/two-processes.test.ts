import { ChildInstance, waitUntil } from '@aa/test-infra';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayInvalidationSubscriber } from '../src/index.js';
import { cachedAgent, errorLog } from './support/harness.js';

const children: ChildInstance[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** The test gateway in a child process, on `port` (0: any free one). */
async function gatewayProcess(port = 0): Promise<{ child: ChildInstance; port: number }> {
  const child = new ChildInstance({
    script: new URL('./fixtures/gateway-process.ts', import.meta.url),
    cwd: new URL('..', import.meta.url),
    env: { AA_TEST_GATEWAY_PORT: String(port) },
  });
  children.push(child);
  const ready = await child.next('ready', 30_000);
  if (ready.port === undefined) throw new Error('the gateway process did not say its port');
  return { child, port: ready.port };
}

/** Fault to fresh on the real clock: a reconnect (≤ 20 ms backoff), the resume's PING, a loaded machine's slack. */
const REAL_BOUND_MS = 5_000;

describe('GatewayInvalidationSubscriber and a gateway in another process', () => {
  it('follows a gateway killed with SIGKILL and restarted on its port: clears, then applies the new numbering', async () => {
    const first = await gatewayProcess();
    const agent = await cachedAgent();
    const onError = errorLog();
    const subscriber = new GatewayInvalidationSubscriber({
      url: `http://127.0.0.1:${first.port}`,
      assemblyId: 'asm-two-processes',
      sink: agent.cache,
      onError,
      reconnectDelayMs: 10,
      maxReconnectDelayMs: 20,
    });
    try {
      await subscriber.start();
      await agent.warm();
      // Across the process boundary: the other process sends, this cache drops the old copy.
      for (let version = 2; version <= 4; version++) {
        agent.change(version);
        await first.child.ask({ type: 'invalidate', id: agent.id }, 'published');
        await waitUntil(async () => (await agent.served()) === version, `version ${version}`);
      }
      expect(subscriber.lastSeq).toBe(3);

      first.child.kill('SIGKILL');
      expect(await first.child.exited()).toEqual({ code: null, signal: 'SIGKILL' });
      await waitUntil(() => subscriber.stats().disconnections === 1, 'the subscriber to notice');
      // Changed while no gateway runs: the restarted one will never announce it.
      agent.change(5);
      expect(await agent.served()).toBe(4);

      const second = await gatewayProcess(first.port);
      await waitUntil(
        async () => (await agent.served()) === 5,
        'the restart to clear the cache',
        REAL_BOUND_MS,
      );
      const { clearCauses } = subscriber.stats();
      expect(clearCauses).toMatchObject({ start: 1 });
      expect(
        (clearCauses['unproven-resume'] ?? 0) + (clearCauses['sequence-restart'] ?? 0),
        JSON.stringify(clearCauses),
      ).toBe(1);
      expect(subscriber.stats().reconnects).toBe(1);

      // The new numbering starts at 1 and is followed from there.
      agent.change(6);
      await second.child.ask({ type: 'invalidate', id: agent.id }, 'published');
      await waitUntil(async () => (await agent.served()) === 6, 'version 6 from the new gateway');
      expect(subscriber.lastSeq).toBe(1);
      expect(subscriber.stats().clears).toBe(2);
      await subscriber.close();
      await expect(second.child.close()).resolves.toBe(0);
    } finally {
      await subscriber.close();
    }
  }, 60_000);
});
