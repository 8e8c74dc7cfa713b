import { describe, expect, it } from 'vitest';
import { INVALIDATION_ERROR_CODES, InvalidationError } from '../src/index.js';
import {
  freshAgent as agent,
  flush,
  ScriptedConnection,
  scriptedSubscriber,
} from './support/scripted-transport.js';

const subscribe = (options: Parameters<typeof scriptedSubscriber>[0] = {}, position?: number) =>
  scriptedSubscriber(options, position === undefined ? {} : { position });

describe('InvalidationSubscriber', () => {
  it('gives up on a connect that has not answered within connectTimeoutMs, and closes it if it answers late', async () => {
    const { transport, scheduler, errors, subscriber } = subscribe({ connectTimeoutMs: 300 });
    await flush();
    expect(transport.attempts).toHaveLength(1);
    scheduler.advance(299);
    await flush();
    expect(subscriber.stats().failedAttempts).toBe(0);
    scheduler.advance(1);
    await flush();
    expect(subscriber.stats().failedAttempts).toBe(1);
    expect(transport.attempts[0]?.context.signal.aborted).toBe(true);
    expect(errors[0]?.code).toBe(INVALIDATION_ERROR_CODES.Connection);
    expect(errors[0]?.cause).toMatchObject({ code: INVALIDATION_ERROR_CODES.Timeout });
    const late = new ScriptedConnection({ proven: true }, transport.closed);
    transport.attempts[0]?.resolve(late);
    await flush();
    expect(transport.closed).toContain(late);
    expect(subscriber.state).toBe('backoff');
    await subscriber.close();
  });

  it('backs off with the capped, jittered schedule between failed attempts', async () => {
    const { transport, scheduler, subscriber } = subscribe({
      reconnectDelayMs: 100,
      maxReconnectDelayMs: 400,
    });
    const gaps: number[] = [];
    let last = scheduler.now();
    for (let attempt = 0; attempt < 5; attempt++) {
      await flush();
      gaps.push(scheduler.now() - last);
      transport.attempts.at(-1)?.reject(new Error('refused'));
      await flush();
      last = scheduler.now();
      const before = transport.attempts.length;
      while (transport.attempts.length === before) {
        scheduler.advance(1);
        await flush();
      }
    }
    // random() ≈ 1: each delay is its full ceiling, 100, 200, 400, 400, 400.
    expect(transport.attempts).toHaveLength(6);
    expect(scheduler.now()).toBe(100 + 200 + 400 + 400 + 400);
    await subscriber.close();
  });

  it('keeps backing off from a peer that accepts each connection and fails it at once', async () => {
    const { transport, scheduler, subscriber } = subscribe({
      reconnectDelayMs: 100,
      maxReconnectDelayMs: 400,
    });
    const waits: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      await flush();
      const connection = transport.open();
      await flush();
      connection.fail(new Error('reset right after the handshake'));
      await flush();
      const before = transport.attempts.length;
      const from = scheduler.now();
      while (transport.attempts.length === before) {
        scheduler.advance(1);
        await flush();
      }
      waits.push(scheduler.now() - from);
    }
    // Connected every time, never healthy: the backoff grows as for failed attempts.
    expect(waits).toEqual([100, 200, 400, 400]);
    expect(subscriber.stats().connects).toBe(4);
    await subscriber.close();
  });

  it('clears with the cause the transport gives and moves to resumeFrom', async () => {
    const { transport, sink, subscriber } = subscribe({}, 7);
    await flush();
    expect(transport.attempts[0]?.context.position).toBe(7);
    transport.open({ proven: false, cause: 'sequence-restart', resumeFrom: 0 });
    await subscriber.start();
    expect(sink.calls).toEqual([['clear']]);
    expect(subscriber.stats().clearCauses).toEqual({ 'sequence-restart': 1 });
    await subscriber.close();
  });

  it('applies events in order, tells the connection of each position, and resumes from the last', async () => {
    const { transport, scheduler, sink, subscriber } = subscribe({ heartbeatIntervalMs: 1_000 });
    await flush();
    const connection = transport.open({ proven: true });
    await subscriber.start();
    const [a, b] = [agent(), agent()];
    await flush();
    connection.deliver(
      { kind: 'invalidate', agentId: a, position: 1 },
      { kind: 'clear', position: 2 },
      { kind: 'invalidate', agentId: b, position: 3 },
    );
    await flush();
    expect(sink.calls).toEqual([['invalidate', a], ['clear'], ['invalidate', b]]);
    expect(connection.acknowledged).toEqual([1, 2, 3]);
    connection.fail(new Error('reset'));
    await flush();
    scheduler.advance(100);
    await flush();
    expect(transport.attempts[1]?.context).toMatchObject({ position: 3, reconnect: true });
    await subscriber.close();
  });

  it('passes a skip event to no sink, yet moves past it and tells the connection', async () => {
    const { transport, sink, subscriber } = subscribe();
    await flush();
    const connection = transport.open({ proven: true });
    await subscriber.start();
    const a = agent();
    await flush();
    connection.deliver(
      { kind: 'skip', position: 1 },
      { kind: 'invalidate', agentId: a, position: 2 },
      { kind: 'skip', position: 3 },
    );
    await flush();
    expect(sink.calls).toEqual([['invalidate', a]]);
    expect(connection.acknowledged).toEqual([1, 2, 3]);
    expect(subscriber.stats()).toMatchObject({ events: 3, invalidations: 1, clears: 0 });
    await subscriber.close();
  });

  it('counts what a transport reports through context.report in stats().errors, and goes on', async () => {
    const { transport, errors, subscriber } = subscribe();
    await flush();
    transport.open({ proven: true });
    await subscriber.start();
    const reported = new InvalidationError(INVALIDATION_ERROR_CODES.Sink, 'a callback threw');
    transport.attempts[0]?.context.report(reported);
    expect(errors).toEqual([reported]);
    expect(subscriber.stats().errors).toBe(1);
    expect(subscriber.state).toBe('connected');
    await subscriber.close();
  });

  it('presumes a read that has not settled within heartbeatIntervalMs + connectTimeoutMs dead', async () => {
    const { transport, scheduler, subscriber } = subscribe({
      heartbeatIntervalMs: 1_000,
      connectTimeoutMs: 200,
    });
    await flush();
    transport.open();
    await subscriber.start();
    await flush();
    scheduler.advance(1_199);
    await flush();
    expect(subscriber.stats().disconnections).toBe(0);
    scheduler.advance(1);
    await flush();
    expect(subscriber.stats().disconnections).toBe(1);
    expect(transport.closed).toHaveLength(1);
    await subscriber.close();
  });

  it('is no longer connected once a loss is counted, even while the dead connection closes', async () => {
    const { transport, subscriber } = subscribe();
    await flush();
    const connection = transport.open();
    await subscriber.start();
    let finishClosing = (): void => {};
    connection.close = () =>
      new Promise<void>((resolve) => {
        finishClosing = resolve;
      });
    await flush();
    connection.fail(new Error('terminated'));
    await flush();
    expect(subscriber.stats().disconnections).toBe(1);
    expect(subscriber.connected).toBe(false);
    expect(subscriber.state).toBe('backoff');
    finishClosing();
    await subscriber.close();
  });

  it('leaves no timer behind once closed during backoff', async () => {
    const { transport, scheduler, subscriber } = subscribe();
    await flush();
    transport.attempts[0]?.reject(new Error('refused'));
    await flush();
    expect(scheduler.pendingTimers).toBe(1);
    await subscriber.close();
    expect(scheduler.pendingTimers).toBe(0);
    await expect(subscriber.start()).rejects.toMatchObject({
      code: INVALIDATION_ERROR_CODES.Closed,
    });
  });
});
