import { randomUUID } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import { L1Cache } from '@aa/cache';
import { AgentId, asCacheSource, type InvalidationSink } from '@aa/core';
import { type ClearEvent, INVALIDATION_CHANNELS } from '@aa/invalidation';
import { redisAvailable, waitUntil } from '@aa/test-infra';
import { MemoryPolicyStore, RecordingSink, type SinkCall, samplePolicy } from '@aa/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  compareStreamIds,
  INVALIDATION_ERROR_CODES,
  type RedisInvalidationPublisher,
} from '../src/index.js';
import { caughtUp } from './support/caught-up.js';
import { gapsOf, StreamTestBed } from './support/stream-test-bed.js';

const available = await redisAvailable();
const newAgent = () => AgentId.parse(randomUUID());
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Publishes `count` events for throwaway agents, concurrently, to push older entries out. */
async function flood(publisher: RedisInvalidationPublisher, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => publisher.publish(newAgent())));
}

describe.runIf(available)('Redis invalidation bus under faults', () => {
  let bed: StreamTestBed;
  // The gap clears, as the core publishes them: start and publishAll clears left out.
  const gaps: ClearEvent[] = [];
  const onClear = (event: unknown) => {
    const clear = event as ClearEvent;
    if (!['start', 'published', 'malformed'].includes(clear.cause)) gaps.push(clear);
  };
  beforeEach(() => {
    bed = new StreamTestBed();
    gaps.length = 0;
    diagnosticsChannel.subscribe(INVALIDATION_CHANNELS.clear, onClear);
  });
  afterEach(async () => {
    diagnosticsChannel.unsubscribe(INVALIDATION_CHANNELS.clear, onClear);
    await bed.dispose();
  });

  describe('connection killed by the server', () => {
    it('resumes from its last id: every event published meanwhile is applied, in order, once, and no copy is older than the newest write', async () => {
      const agents = Array.from({ length: 5 }, newAgent);
      const store = new MemoryPolicyStore();
      for (const agent of agents) store.insert(agent, samplePolicy(0));
      const cache = new L1Cache(asCacheSource(store), { ttlMs: 60_000 });
      const sink = new RecordingSink();
      const subscriber = bed.subscriber({
        sink: [cache, sink],
        reconnectDelayMs: 60,
        maxReconnectDelayMs: 120,
      });
      await subscriber.start();
      for (const agent of agents) await cache.get(agent);

      const publisher = bed.publisher();
      const expected: SinkCall[] = [['clear']];
      const newest = new Map<AgentId, number>();
      let last = '';
      let publishedWhileDown = 0;
      for (let version = 1; version <= 100; version++) {
        const agent = agents[version % agents.length] as AgentId;
        store.insert(agent, samplePolicy(version));
        newest.set(agent, version);
        last = await publisher.publish(agent);
        expected.push(['invalidate', agent]);
        if (!subscriber.connected) publishedWhileDown++;
        if (version === 30 || version === 70) await bed.killConnection(subscriber.connectionName);
        // Keep the cache filled, so a missed invalidation would leave a stale copy.
        await cache.get(agents[(version + 2) % agents.length] as AgentId);
        await pause(2);
      }

      await caughtUp(subscriber, last, 10_000);
      expect(publishedWhileDown).toBeGreaterThan(0);
      expect(subscriber.stats()).toMatchObject({ reconnects: 2, events: 100 });
      expect(gapsOf(subscriber)).toBe(0);
      expect(sink.calls).toEqual(expected);
      for (const agent of agents) {
        expect((await cache.get(agent)).version).toBe(newest.get(agent));
      }
      expect(bed.errors.map((error) => error.code)).toEqual([
        INVALIDATION_ERROR_CODES.Connection,
        INVALIDATION_ERROR_CODES.Connection,
      ]);
    });

    it.each([
      { trimming: 'approximate', maxLen: 10, flooded: 350 },
      { trimming: 'exact', maxLen: 3, flooded: 10 },
    ] as const)(
      'clears its sinks when events it missed were trimmed away while it was down ($trimming)',
      async ({ trimming, maxLen, flooded }) => {
        const [changed, untouched] = [newAgent(), newAgent()];
        const store = new MemoryPolicyStore()
          .insert(changed, samplePolicy(1))
          .insert(untouched, samplePolicy(1));
        const cache = new L1Cache(asCacheSource(store), { ttlMs: 60_000 });
        const sink = new RecordingSink();
        // Reconnects 300..600 ms after the kill: time enough to trim the gap away.
        const subscriber = bed.subscriber({
          sink: [cache, sink],
          reconnectDelayMs: 600,
          maxReconnectDelayMs: 600,
        });
        await subscriber.start();
        await cache.get(changed);
        await cache.get(untouched);
        const before = subscriber.lastId as string;

        await bed.killConnection(subscriber.connectionName);
        await waitUntil(() => !subscriber.connected, 'the subscriber to notice');
        const publisher = bed.publisher({ maxLen, trimming });
        store.insert(changed, samplePolicy(2));
        const missed = await publisher.publish(changed);
        await flood(publisher, flooded);
        const [oldest] = await bed.admin.xrange(bed.key, '-', '+', 'COUNT', 1);
        expect(compareStreamIds(oldest?.[0] ?? '0-0', missed)).toBeGreaterThan(0);
        expect(subscriber.connected).toBe(false);

        await waitUntil(() => subscriber.connected, 'the subscriber to reconnect', 3_000);
        expect(subscriber.stats()).toMatchObject({ events: 0, reconnects: 1 });
        expect(gapsOf(subscriber)).toBe(1);
        expect(gaps).toEqual([
          expect.objectContaining({ cause: 'trimmed', previousPosition: before }),
        ]);
        expect(sink.calls).toEqual([['clear'], ['clear']]);
        expect((await cache.get(changed)).version).toBe(2);
        await cache.get(untouched);
        expect(store.callCountFor(untouched)).toBe(2);

        // After the clear it reads on normally.
        const next = newAgent();
        await caughtUp(subscriber, await publisher.publish(next));
        expect(sink.calls.at(-1)).toEqual(['invalidate', next]);
        expect(gapsOf(subscriber)).toBe(1);
      },
    );

    it('clears its sinks when the stream key was deleted while it was down, then reads the new stream', async () => {
      const sink = new RecordingSink();
      const subscriber = bed.subscriber({
        sink: [sink],
        reconnectDelayMs: 400,
        maxReconnectDelayMs: 400,
      });
      await subscriber.start();
      const publisher = bed.publisher();
      await caughtUp(subscriber, await publisher.publish(newAgent()));
      await bed.killConnection(subscriber.connectionName);
      await waitUntil(() => !subscriber.connected, 'the subscriber to notice');
      await bed.admin.del(bed.key);

      await waitUntil(() => subscriber.connected, 'the subscriber to reconnect', 3_000);
      expect(gaps).toEqual([expect.objectContaining({ cause: 'stream-missing', position: '0-0' })]);
      expect(sink.count('clear')).toBe(2);
      const agent = newAgent();
      await caughtUp(subscriber, await publisher.publish(agent));
      expect(sink.calls.at(-1)).toEqual(['invalidate', agent]);
      expect(gapsOf(subscriber)).toBe(1);
    });
  });

  describe('gaps while connected', () => {
    it('clears its sinks when a slow sink lets it fall further behind than the stream keeps', async () => {
      const [blocker, changed] = [newAgent(), newAgent()];
      const store = MemoryPolicyStore.withPolicy(changed, samplePolicy(1));
      const cache = new L1Cache(asCacheSource(store), { ttlMs: 60_000 });
      let release: () => void = () => {};
      let blocked = false;
      const slow: InvalidationSink<AgentId> = {
        invalidate: (id) => {
          if (id !== blocker) return;
          blocked = true;
          return new Promise<void>((resolve) => {
            release = resolve;
          });
        },
        clear: () => {},
      };
      const subscriber = bed.subscriber({ sink: [slow, cache] });
      await subscriber.start();
      await cache.get(changed);

      const publisher = bed.publisher({ maxLen: 10 });
      await publisher.publish(blocker);
      await waitUntil(() => blocked, 'the slow sink to hold the subscriber');
      store.insert(changed, samplePolicy(2));
      const missed = await publisher.publish(changed);
      await flood(publisher, 350);
      expect(await bed.admin.xrange(bed.key, missed, missed)).toEqual([]);
      release();

      await waitUntil(() => gapsOf(subscriber) === 1, 'the gap to be detected');
      expect(gaps).toEqual([expect.objectContaining({ cause: 'trimmed' })]);
      expect((await cache.get(changed)).version).toBe(2);
      expect(subscriber.stats().reconnects).toBe(0);
    });

    it('clears its sinks on start when resuming from a startId whose successors were trimmed', async () => {
      const publisher = bed.publisher({ maxLen: 10 });
      const resumeAt = await publisher.publish(newAgent());
      await flood(publisher, 350);
      const sink = new RecordingSink();
      const subscriber = bed.subscriber({ sink: [sink], startId: resumeAt });
      await subscriber.start();
      expect(sink.calls).toEqual([['clear']]);
      expect(gaps).toEqual([
        expect.objectContaining({ cause: 'trimmed', previousPosition: resumeAt }),
      ]);
      expect(compareStreamIds(subscriber.lastId as string, resumeAt)).toBeGreaterThan(0);
    });
  });

  describe('bad input', () => {
    it('reports each malformed entry, clears its sinks, and goes on', async () => {
      const sink = new RecordingSink();
      const subscriber = bed.subscriber({ sink: [sink] });
      await subscriber.start();
      const malformed = [
        await bed.admin.xadd(bed.key, '*', 'op', 'bogus'),
        await bed.admin.xadd(bed.key, '*', 'op', 'invalidate', 'agent', 'not-a-uuid'),
        await bed.admin.xadd(bed.key, '*', 'unrelated', 'field'),
      ];
      const agent = newAgent();
      await caughtUp(subscriber, await bed.publisher().publish(agent));

      expect(bed.errors).toEqual(
        malformed.map((entryId) =>
          expect.objectContaining({
            code: INVALIDATION_ERROR_CODES.Malformed,
            message: expect.stringContaining(`entry ${entryId}`),
          }),
        ),
      );
      expect(bed.errors[1]?.message).toContain('not-a-uuid');
      expect(sink.calls).toEqual([
        ['clear'],
        ['clear'],
        ['clear'],
        ['clear'],
        ['invalidate', agent],
      ]);
      expect(subscriber.stats()).toMatchObject({ malformed: 3, events: 4, reconnects: 0 });
      expect(subscriber.connected).toBe(true);
    });

    it('reports a sink that throws, clears that sink, and still applies the event to the others', async () => {
      const failure = new Error('sink exploded');
      const cleared: string[] = [];
      const throwing: InvalidationSink<AgentId> = {
        invalidate: () => {
          throw failure;
        },
        clear: () => cleared.push('clear'),
      };
      const sink = new RecordingSink();
      const subscriber = bed.subscriber({ sink: [throwing, sink] });
      await subscriber.start();
      const agent = newAgent();
      const id = await bed.publisher().publish(agent);
      await caughtUp(subscriber, id);

      expect(sink.calls).toEqual([['clear'], ['invalidate', agent]]);
      expect(cleared).toEqual(['clear', 'clear']); // the start, then the failed invalidate
      expect(bed.errors).toEqual([
        expect.objectContaining({
          code: INVALIDATION_ERROR_CODES.Sink,
          cause: failure,
        }),
      ]);
      expect(subscriber.stats().sinkErrors).toBe(1);
    });
  });
});
