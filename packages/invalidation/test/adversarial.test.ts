import type { AgentId, InvalidationSink, Scheduler } from '@aa/core';
import { ManualScheduler, RecordingSink } from '@aa/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  INVALIDATION_ERROR_CODES,
  type InvalidationSubscriber,
  type InvalidationTransport,
  type SubscriberOptions,
  type TransportEvent,
} from '../src/index.js';
import {
  flush,
  freshAgent,
  ScriptedConnection,
  ScriptedTransport,
  scriptedSubscriber,
} from './support/scripted-transport.js';

// Hostile callers, sinks, transports and schedulers against the promises of the
// README's subscriber contract, on the scripted transport.

function subscribe<T extends InvalidationTransport<number> = ScriptedTransport>(
  options: Partial<SubscriberOptions> = {},
  transport?: T,
) {
  return scriptedSubscriber<T>(options, transport === undefined ? {} : { transport });
}

const scripted = (options: Partial<SubscriberOptions> = {}) => scriptedSubscriber(options);

/** A subscriber whose first connection is subscribed, its start clear applied. */
async function connected(options: Partial<SubscriberOptions> = {}) {
  const harness = scripted(options);
  await flush();
  const connection = harness.transport.open({ proven: false });
  await harness.subscriber.start();
  await flush();
  return { ...harness, connection };
}

const agent = freshAgent;
const closedCode = { code: INVALIDATION_ERROR_CODES.Closed };

/** Fails the test on an unhandled rejection instead of letting it pass unseen. */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  await flush();
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('InvalidationSubscriber against hostile input', () => {
  describe('close()', () => {
    it('returns one promise to concurrent callers and leaves no timer', async () => {
      const { scheduler, subscriber } = await connected();
      const first = subscriber.close();
      const second = subscriber.close();
      expect(second).toBe(first);
      await Promise.all([first, second, subscriber[Symbol.asyncDispose]()]);
      expect(subscriber.state).toBe('closed');
      expect(scheduler.pendingTimers).toBe(0);
    });

    it('works from inside the then of start()', async () => {
      const { transport, scheduler, subscriber } = scripted();
      const closing = subscriber.start().then(() => subscriber.close());
      await flush();
      transport.open();
      await closing;
      expect(transport.closed).toHaveLength(1);
      expect(scheduler.pendingTimers).toBe(0);
    });

    it('works from an onError that closes the subscriber', async () => {
      let subscriber: InvalidationSubscriber<number> | undefined;
      let closing: Promise<void> | undefined;
      const harness = await connected({
        onError: () => {
          closing = subscriber?.close();
        },
      });
      subscriber = harness.subscriber;
      harness.connection.fail(new Error('reset'));
      await flush();
      expect(closing).toBeDefined();
      await closing;
      expect(harness.scheduler.pendingTimers).toBe(0);
      expect(harness.transport.attempts).toHaveLength(1);
      await expect(subscriber.ready).rejects.toMatchObject(closedCode);
    });

    it('does not wait for a sink whose invalidate() awaits close(), nor call a sink after', async () => {
      const transport = new ScriptedTransport();
      const second = new RecordingSink();
      let subscriber: InvalidationSubscriber<number> | undefined;
      let closed: Promise<void> | undefined;
      const calls: string[] = [];
      const reentrant: InvalidationSink<AgentId> = {
        invalidate: async () => {
          calls.push('invalidate');
          closed = subscriber?.close();
          await closed;
        },
        clear: () => void calls.push('clear'),
      };
      const harness = subscribe({ sink: [reentrant, second], sinkTimeoutMs: 60_000 }, transport);
      subscriber = harness.subscriber;
      await flush();
      const connection = transport.open({ proven: false });
      await subscriber.start();
      await flush();
      connection.deliver({ kind: 'invalidate', agentId: agent(), position: 1 });
      await flush();
      await closed;
      // close() resolved without any time passing: no wait on the sink's promise.
      expect(harness.scheduler.now()).toBe(0);
      expect(calls).toEqual(['clear', 'invalidate']);
      // The second sink saw the start clear only: close() came before its turn.
      expect(second.calls).toEqual([['clear']]);
      expect(harness.scheduler.pendingTimers).toBe(0);
    });

    it('works from a sink whose clear() (the start clear) closes the subscriber', async () => {
      const transport = new ScriptedTransport();
      const scheduler = new ManualScheduler();
      let subscriber: InvalidationSubscriber<number> | undefined;
      let closing: Promise<void> | undefined;
      const harness = subscribe(
        {
          scheduler,
          sink: {
            invalidate: () => {},
            clear: () => {
              closing = subscriber?.close();
            },
          },
        },
        transport,
      );
      subscriber = harness.subscriber;
      await flush();
      transport.open({ proven: false });
      await expect(subscriber.start()).rejects.toMatchObject(closedCode);
      await closing;
      expect(subscriber.stats().connects).toBe(0);
      expect(transport.closed).toHaveLength(1);
      expect(scheduler.pendingTimers).toBe(0);
    });

    it('resolves before sinkTimeoutMs while a sink promise is pending, and that sink is not called again', async () => {
      let calls = 0;
      const hanging: InvalidationSink<AgentId> = {
        invalidate: () => {
          calls++;
          return new Promise(() => {});
        },
        clear: () => {
          calls++;
        },
      };
      const { connection, scheduler, subscriber } = await connected({
        sink: hanging,
        sinkTimeoutMs: 10_000,
      });
      connection.deliver({ kind: 'invalidate', agentId: agent(), position: 1 });
      await flush();
      expect(calls).toBe(2);
      await subscriber.close();
      expect(scheduler.pendingTimers).toBe(0);
      scheduler.advance(20_000);
      await flush();
      expect(calls).toBe(2);
    });

    it('calls no sink for events a read resolves with after close()', async () => {
      const { connection, sink, subscriber } = await connected();
      const closing = subscriber.close();
      connection.deliver({ kind: 'invalidate', agentId: agent(), position: 1 }, { kind: 'clear' });
      await closing;
      await flush();
      expect(sink.calls).toEqual([['clear']]);
    });

    it('closes a connection whose connect() resolves after close()', async () => {
      const { transport, scheduler, sink, subscriber } = scripted();
      await flush();
      await subscriber.close();
      expect(transport.attempts[0]?.context.signal.aborted).toBe(true);
      const late = transport.open();
      await flush();
      expect(transport.closed).toEqual([late]);
      expect(sink.calls).toEqual([]);
      expect(scheduler.pendingTimers).toBe(0);
    });

    it('resolves within connectTimeoutMs when a connection never finishes closing', async () => {
      const { connection, scheduler, subscriber } = await connected({ connectTimeoutMs: 500 });
      connection.close = () => new Promise(() => {});
      let resolved = false;
      const closing = subscriber.close().then(() => {
        resolved = true;
      });
      await flush();
      expect(resolved).toBe(false);
      scheduler.advance(500);
      await closing;
      expect(scheduler.pendingTimers).toBe(0);
    });
  });

  describe('a misbehaving transport', () => {
    it('reports and retries a connect() that throws synchronously', async () => {
      let attempts = 0;
      const transport: InvalidationTransport<number> = {
        name: 'throwing',
        target: 'nowhere',
        connect: () => {
          attempts++;
          throw new Error('boom');
        },
      };
      const { scheduler, errors, subscriber } = subscribe({}, transport);
      await flush();
      expect(errors[0]).toMatchObject({ code: INVALIDATION_ERROR_CODES.Connection });
      expect(errors[0]?.cause).toMatchObject({ message: 'boom' });
      scheduler.advance(100);
      await flush();
      expect(attempts).toBe(2);
      await subscriber.close();
      expect(scheduler.pendingTimers).toBe(0);
    });

    it('closes a connection that connect() returned without a promise', async () => {
      const closed: ScriptedConnection[] = [];
      const connection = new ScriptedConnection({ proven: true }, closed);
      const transport = {
        name: 'sync',
        target: 'here',
        connect: () => connection,
      } as unknown as InvalidationTransport<number>;
      const { subscriber } = subscribe({}, transport);
      await subscriber.start();
      await subscriber.close();
      expect(closed).toEqual([connection]);
    });

    it('clears, rather than skips, an event of a kind it does not know', async () => {
      const { connection, sink, errors, subscriber } = await connected();
      connection.deliver({
        kind: 'invalidate-all',
        position: 9,
      } as unknown as TransportEvent<number>);
      await flush();
      expect(sink.calls).toEqual([['clear'], ['clear']]);
      expect(subscriber.stats()).toMatchObject({ malformed: 1, clearCauses: { malformed: 1 } });
      expect(errors.map((error) => error.code)).toEqual([INVALIDATION_ERROR_CODES.Malformed]);
      await subscriber.close();
    });

    it('reports a clear event whose sink clear() rejects, and clears the other sinks', async () => {
      const failing: InvalidationSink<AgentId> = {
        invalidate: () => {},
        clear: () => Promise.reject(new Error('disk full')),
      };
      const second = new RecordingSink();
      const { connection, errors, subscriber } = await connected({ sink: [failing, second] });
      connection.deliver({ kind: 'clear', position: 1 });
      await flush();
      expect(second.calls).toEqual([['clear'], ['clear']]);
      expect(subscriber.stats()).toMatchObject({ sinkErrors: 2, clearCauses: { published: 1 } });
      expect(errors.map((error) => error.code)).toEqual([
        INVALIDATION_ERROR_CODES.Sink,
        INVALIDATION_ERROR_CODES.Sink,
      ]);
      await subscriber.close();
    });
  });

  describe('a misbehaving scheduler or jitter source', () => {
    it.each([
      [
        'throws',
        () => (): number => {
          throw new Error('no entropy');
        },
      ],
      ['returns NaN', () => () => Number.NaN],
      ['returns 5', () => () => 5],
      ['returns -1', () => () => -1],
    ])('keeps the backoff within its bounds when random() %s', async (_, make) => {
      const { transport, scheduler, subscriber } = scripted({
        random: make(),
        reconnectDelayMs: 100,
        maxReconnectDelayMs: 400,
      });
      for (let attempt = 1; attempt <= 4; attempt++) {
        await flush();
        expect(transport.attempts).toHaveLength(attempt);
        transport.attempts.at(-1)?.reject(new Error('refused'));
        await flush();
        expect(subscriber.state).toBe('backoff');
        const before = scheduler.now();
        while (transport.attempts.length === attempt) {
          scheduler.advance(1);
          await flush();
        }
        const ceiling = Math.min(400, 100 * 2 ** (attempt - 1));
        expect(scheduler.now() - before).toBeGreaterThanOrEqual(ceiling / 2);
        expect(scheduler.now() - before).toBeLessThanOrEqual(ceiling);
      }
      await subscriber.close();
      expect(scheduler.pendingTimers).toBe(0);
    });

    it('never rejects close() nor leaves an unhandled rejection when setTimeout throws', async () => {
      const manual = new ManualScheduler();
      let broken = false;
      const scheduler: Scheduler = {
        now: () => manual.now(),
        setTimeout: (callback, ms) => {
          if (broken) throw new Error('timer queue full');
          return manual.setTimeout(callback, ms);
        },
        clearTimeout: (timer) => manual.clearTimeout(timer),
      };
      const { transport, errors, subscriber } = scripted({ scheduler });
      await flush();
      broken = true;
      transport.attempts[0]?.reject(new Error('refused'));
      await flush();
      // With no way to time a backoff it stops, and says so, rather than spin.
      expect(errors.at(-1)?.message).toMatch(/stopped: timer queue full/);
      expect(subscriber.state).toBe('closed');
      await expect(subscriber.start()).rejects.toMatchObject(closedCode);
      await expect(subscriber.close()).resolves.toBeUndefined();
    });
  });

  describe('stats() and ready', () => {
    it('hands out snapshots that neither change later nor change the subscriber', async () => {
      const { connection, subscriber } = await connected();
      const before = subscriber.stats();
      (before as { clears: number }).clears = 99;
      Object.assign(before.clearCauses, { start: 99 });
      connection.deliver({ kind: 'clear', position: 1 });
      await flush();
      expect(before.events).toBe(0);
      expect(subscriber.stats()).toMatchObject({
        clears: 2,
        clearCauses: { start: 1, published: 1 },
      });
      await subscriber.close();
    });

    it('is resolved while connected, pending between connections, rejected once closed', async () => {
      const { transport, connection, scheduler, subscriber } = await connected();
      const first = subscriber.ready;
      await expect(first).resolves.toBeUndefined();
      connection.fail(new Error('reset'));
      await flush();
      const between = subscriber.ready;
      expect(between).not.toBe(first);
      let settled = false;
      void between.then(() => {
        settled = true;
      });
      scheduler.advance(100);
      await flush();
      expect(transport.attempts).toHaveLength(2);
      expect(settled).toBe(false);
      transport.open({ proven: false });
      await between;
      expect(subscriber.stats().clearCauses).toEqual({ start: 1, reconnect: 1 });
      await subscriber.close();
      await expect(subscriber.ready).rejects.toMatchObject(closedCode);
      await expect(first).resolves.toBeUndefined();
    });
  });
});
