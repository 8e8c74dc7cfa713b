import { randomUUID } from 'node:crypto';
import { AgentId } from '@aa/core';
import { ManualScheduler, RecordingSink } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import {
  type ConnectContext,
  type Continuity,
  INVALIDATION_ERROR_CODES,
  InvalidationError,
  InvalidationSubscriber,
  type InvalidationTransport,
  resolveSubscriberOptions,
  type SubscriberOptions,
  type TransportConnection,
  type TransportEvent,
} from '../src/index.js';

/**
 * A transport the test scripts step by step: each connect() and read() waits
 * for the test to answer it. Not a stand-in for a server (the conformance
 * suites run the real ones); it exercises the core's own rules.
 */
class ScriptedTransport implements InvalidationTransport<number> {
  readonly name = 'scripted';
  readonly target = 'script';
  readonly attempts: ScriptedAttempt[] = [];
  readonly closed: ScriptedConnection[] = [];

  connect(context: ConnectContext<number>): Promise<TransportConnection<number>> {
    return new Promise((resolve, reject) => {
      this.attempts.push({ context, resolve, reject });
    });
  }

  /** Answers the latest attempt with a connection. */
  open(continuity: Continuity<number> = { proven: true }): ScriptedConnection {
    const connection = new ScriptedConnection(continuity, this.closed);
    this.attempts.at(-1)?.resolve(connection);
    return connection;
  }
}

interface ScriptedAttempt {
  readonly context: ConnectContext<number>;
  resolve(connection: TransportConnection<number>): void;
  reject(error: Error): void;
}

class ScriptedConnection implements TransportConnection<number> {
  readonly acknowledged: number[] = [];
  readonly #reads: ((events: readonly TransportEvent<number>[]) => void)[] = [];
  readonly #fails: ((error: Error) => void)[] = [];
  readonly #closed: ScriptedConnection[];

  constructor(
    readonly continuity: Continuity<number>,
    closed: ScriptedConnection[],
  ) {
    this.#closed = closed;
  }

  read(): Promise<readonly TransportEvent<number>[]> {
    return new Promise((resolve, reject) => {
      this.#reads.push(resolve);
      this.#fails.push(reject);
    });
  }

  get pendingReads(): number {
    return this.#reads.length;
  }

  deliver(...events: TransportEvent<number>[]): void {
    this.#fails.shift();
    this.#reads.shift()?.(events);
  }

  fail(error: Error): void {
    this.#reads.shift();
    this.#fails.shift()?.(error);
  }

  applied(position: number): void {
    this.acknowledged.push(position);
  }

  async close(): Promise<void> {
    this.#closed.push(this);
  }
}

function subscribe(options: Partial<SubscriberOptions> = {}, position?: number) {
  const transport = new ScriptedTransport();
  const scheduler = new ManualScheduler();
  const sink = new RecordingSink();
  const errors: InvalidationError[] = [];
  const { resolved } = resolveSubscriberOptions<SubscriberOptions>(
    {
      sink,
      scheduler,
      random: () => 0.999_999,
      onError: (error: InvalidationError) => errors.push(error),
      ...options,
    },
    [],
  );
  const subscriber = new InvalidationSubscriber(transport, resolved, position);
  return { transport, scheduler, sink, errors, subscriber };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const agent = () => AgentId.parse(randomUUID());

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
