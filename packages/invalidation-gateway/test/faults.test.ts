import { FaultProxy, TestGateway, waitUntil } from '@aa/test-infra';
import { ManualScheduler } from '@aa/testing';
import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { InvalidationEventSchema } from '../src/generated/invalidation_pb.js';
import { GATEWAY_ERROR_CODES, GatewayError, GatewayInvalidationSubscriber } from '../src/index.js';
import { cachedAgent, cleanupAfterEach, errorLog, FAST_RETRY } from './support/harness.js';

const { track } = cleanupAfterEach();
/** Fault to fresh, on the real clock: a reconnect (≤ 20 ms backoff), its resume grace (250 ms), and slack for a loaded machine. */
const REAL_BOUND_MS = 3_000;

async function setUp(options: { proxy?: boolean; scheduler?: ManualScheduler } = {}) {
  const gateway = track(await TestGateway.start());
  const proxy = options.proxy
    ? track(await FaultProxy.start({ host: '127.0.0.1', port: gateway.port }))
    : undefined;
  const agent = await cachedAgent();
  const onError = errorLog();
  const subscriber = track(
    new GatewayInvalidationSubscriber({
      url: proxy === undefined ? gateway.url : proxy.urlFor(gateway.url),
      assemblyId: 'asm-1',
      sink: agent.cache,
      onError,
      ...FAST_RETRY,
      ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
    }),
  );
  await subscriber.start();
  await agent.warm();
  // Some history, applied and acked, to resume after.
  for (let i = 0; i < 3; i++) gateway.invalidate('00000000-0000-4000-8000-000000000001');
  await waitUntil(() => gateway.acked('asm-1') === 3, "gateway.acked('asm-1') to be 3");
  return { gateway, proxy, agent, onError, subscriber };
}

describe('GatewayInvalidationSubscriber under faults', () => {
  it('a gateway restart (numbering from 1, empty ring): clears on the unproven resume, then follows the new numbering', async () => {
    const { gateway, agent, subscriber } = await setUp();
    const port = gateway.port;
    await gateway.stop();
    agent.change(2); // changed while the gateway was down: nobody will ever announce it
    const restarted = track(await TestGateway.start({ port }));
    const started = Date.now();
    await waitUntil(
      async () => (await agent.served()) === 2,
      'the cache to serve version 2',
      REAL_BOUND_MS,
    );
    expect(Date.now() - started).toBeLessThan(REAL_BOUND_MS);
    expect(subscriber.stats().clearCauses).toMatchObject({ start: 1, 'unproven-resume': 1 });
    await waitUntil(() => restarted.subscribers === 1, 'restarted.subscribers to be 1');
    agent.change(3);
    restarted.invalidate(agent.id);
    await waitUntil(async () => (await agent.served()) === 3, 'the cache to serve version 3');
    expect(subscriber.lastSeq).toBe(1);
    expect(subscriber.stats().reconnects).toBe(1);
  });

  it('a live event numbered at or below lastSeq (another numbering: a replica behind a balancer): sequence-restart', async () => {
    const { gateway, agent, subscriber } = await setUp();
    agent.change(2);
    const other = '00000000-0000-4000-8000-000000000002';
    gateway.sendRawNext(
      toBinary(
        InvalidationEventSchema,
        create(InvalidationEventSchema, {
          seq: 2n, // lastSeq is 3
          payload: { case: 'policyInvalidated', value: { agentId: other, policyVersion: 1n } },
        }),
      ),
    );
    gateway.invalidate(other);
    await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve version 2');
    expect(subscriber.stats().clearCauses).toEqual({ start: 1, 'sequence-restart': 1 });
    expect(subscriber.lastSeq).toBe(2);
  });

  it('the ring overflows while the client is away: the resume jumps, and it clears (sequence-jump)', async () => {
    const scheduler = new ManualScheduler();
    const { gateway, proxy, agent, subscriber } = await setUp({ proxy: true, scheduler });
    proxy?.cut();
    await waitUntil(() => subscriber.state === 'backoff', "subscriber.state to be 'backoff'");
    agent.change(2);
    gateway.invalidate(agent.id); // seq 4: pushed out of the ring by the next 1,024
    for (let i = 0; i < 1_024; i++) gateway.invalidate('00000000-0000-4000-8000-000000000001');
    scheduler.advance(20); // the backoff ends
    await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve version 2');
    expect(subscriber.stats().clearCauses).toMatchObject({ 'sequence-jump': 1 });
    await waitUntil(
      () => subscriber.lastSeq === 3 + 1 + 1_024,
      'subscriber.lastSeq to be 3 + 1 + 1_024',
    );
  });

  it('the client lags and its live channel drops events: the jump clears (sequence-jump)', async () => {
    const { gateway, agent, subscriber } = await setUp();
    gateway.pause('asm-1');
    agent.change(2);
    gateway.invalidate(agent.id); // dropped from the lagged channel
    for (let i = 0; i < 1_100; i++) gateway.invalidate('00000000-0000-4000-8000-000000000001');
    gateway.resume('asm-1');
    await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve version 2');
    expect(subscriber.stats().clearCauses).toEqual({ start: 1, 'sequence-jump': 1 });
    expect(subscriber.stats().reconnects).toBe(0);
  });

  it('a cut connection: reconnects, resumes from lastSeq, and the replay proves nothing was lost (no clear)', async () => {
    const { gateway, proxy, agent, subscriber } = await setUp({ proxy: true });
    proxy?.cut();
    agent.change(2);
    gateway.invalidate(agent.id); // published while the client is away: replayed
    await waitUntil(
      async () => (await agent.served()) === 2,
      'the cache to serve version 2',
      REAL_BOUND_MS,
    );
    expect(gateway.requests.filter((r) => r.kind === 'initial').map((r) => r.seq)).toEqual([0, 3]);
    expect(subscriber.stats()).toMatchObject({ reconnects: 1, clearCauses: { start: 1 } });
    expect(subscriber.lastSeq).toBe(4);
  });

  it('a connection gone silent: the read deadline (heartbeatIntervalMs + connectTimeoutMs) reconnects, the replay catches up', async () => {
    const scheduler = new ManualScheduler();
    const gateway = track(await TestGateway.start());
    const proxy = track(await FaultProxy.start({ host: '127.0.0.1', port: gateway.port }));
    const agent = await cachedAgent();
    // An hour's interval: nothing but the manual clock moves the heartbeat.
    const subscriber = track(
      new GatewayInvalidationSubscriber({
        url: proxy.urlFor(gateway.url),
        assemblyId: 'asm-1',
        sink: agent.cache,
        scheduler,
        heartbeatIntervalMs: 3_600_000,
        connectTimeoutMs: 5_000,
        onError: () => {},
        ...FAST_RETRY,
      }),
    );
    await subscriber.start();
    await agent.warm();
    scheduler.advance(1_800_000); // an idle half interval: a PING
    // Answered: that read resolves empty and the next one sets its PING timer
    // and its deadline (the first read's deadline was cleared).
    await waitUntil(() => scheduler.pendingTimers === 2, 'scheduler.pendingTimers to be 2');
    const silentAt = scheduler.now();
    proxy.goSilent({ onlyOpen: true }); // the reconnect gets through
    agent.change(2);
    gateway.invalidate(agent.id); // never arrives on the silent connection
    scheduler.advance(3_600_000 + 5_000 - 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(subscriber.stats().disconnections).toBe(0);
    expect(await agent.served()).toBe(1); // stale, but still within the bound
    scheduler.advance(1);
    await waitUntil(() => subscriber.state === 'backoff', "subscriber.state to be 'backoff'");
    scheduler.advance(20);
    await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve version 2');
    expect(scheduler.now() - silentAt).toBeLessThanOrEqual(3_600_000 + 5_000 + 20);
    expect(subscriber.stats()).toMatchObject({ reconnects: 1, clearCauses: { start: 1 } });
  });

  it('a connection gone silent, on the real clock: the unanswered PING ends it within heartbeatIntervalMs + connectTimeoutMs', async () => {
    const gateway = track(await TestGateway.start());
    const proxy = track(await FaultProxy.start({ host: '127.0.0.1', port: gateway.port }));
    const agent = await cachedAgent();
    const subscriber = track(
      new GatewayInvalidationSubscriber({
        url: proxy.urlFor(gateway.url),
        assemblyId: 'asm-1',
        sink: agent.cache,
        heartbeatIntervalMs: 200,
        connectTimeoutMs: 300,
        onError: () => {},
        ...FAST_RETRY,
      }),
    );
    await subscriber.start();
    await agent.warm();
    proxy.goSilent({ onlyOpen: true }); // the reconnect gets through
    agent.change(2);
    gateway.invalidate(agent.id);
    const started = Date.now();
    await waitUntil(
      async () => (await agent.served()) === 2,
      'the cache to serve version 2',
      REAL_BOUND_MS,
    );
    // 500 ms bound, plus a reconnect, the replay and a loaded machine's slack.
    expect(Date.now() - started).toBeLessThan(500 + 1_500);
    expect(subscriber.stats().disconnections).toBe(1);
  });

  it('wrong credentials: a typed error to onError, backoff, retries, no crash, and it recovers once accepted', async () => {
    const scheduler = new ManualScheduler();
    const tokens = new Map<string, string | null>([['good', null]]);
    const gateway = track(await TestGateway.start({ tokens }));
    const agent = await cachedAgent();
    const onError = errorLog();
    const subscriber = track(
      new GatewayInvalidationSubscriber({
        url: gateway.url,
        assemblyId: 'asm-1',
        token: 'rotated-away',
        sink: agent.cache,
        onError,
        scheduler,
        ...FAST_RETRY,
      }),
    );
    await waitUntil(() => onError.errors.length === 1, '1 error(s)');
    const [error] = onError.errors;
    expect(error?.code).toBe('AA_INVALIDATION_CONNECTION');
    expect(error?.cause).toBeInstanceOf(GatewayError);
    expect(error?.cause).toMatchObject({ code: GATEWAY_ERROR_CODES.Unauthenticated });

    expect(error?.message).toMatch(/Unauthenticated/);
    expect(subscriber.state).toBe('backoff');
    scheduler.advance(10); // the first backoff is 5–10 ms
    await waitUntil(() => onError.errors.length === 2, '2 error(s)');
    expect(subscriber.stats()).toMatchObject({ connects: 0, failedAttempts: 2, clears: 0 });
    // The token is accepted now (rotated on the gateway's side).
    tokens.set('rotated-away', null);
    scheduler.advance(20);
    await subscriber.start();
    expect(subscriber.stats()).toMatchObject({ connects: 1, clearCauses: { start: 1 } });
  });
});
