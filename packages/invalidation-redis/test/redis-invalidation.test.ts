import { randomUUID } from 'node:crypto';
import { L1Cache } from '@aa/cache';
import { AgentId, asCacheSource } from '@aa/core';
import { redisAvailable, waitUntil } from '@aa/test-infra';
import { MemoryPolicyStore, RecordingSink, type SinkCall, samplePolicy } from '@aa/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  compareStreamIds,
  INVALIDATION_ERROR_CODES,
  isInvalidationError,
  RedisInvalidationPublisher,
  RedisInvalidationSubscriber,
} from '../src/index.js';
import { caughtUp } from './support/caught-up.js';
import { gapsOf, StreamTestBed } from './support/stream-test-bed.js';

const available = await redisAvailable();
const newAgent = () => AgentId.parse(randomUUID());
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(available)('Redis invalidation bus', () => {
  let bed: StreamTestBed;
  beforeEach(() => {
    bed = new StreamTestBed();
  });
  afterEach(async () => {
    await bed.dispose();
  });

  describe('publish()', () => {
    it("invalidates another instance's L1Cache: its next get reloads the new version", async () => {
      const agent = newAgent();
      const store = MemoryPolicyStore.withPolicy(agent, samplePolicy(1));
      const cache = new L1Cache(asCacheSource(store), { ttlMs: 60_000 });
      const subscriber = bed.subscriber({ sink: [cache] });
      await subscriber.start();
      expect((await cache.get(agent)).version).toBe(1);

      store.insert(agent, samplePolicy(2));
      // Without an event the cache keeps serving its copy: what makes the test able to fail.
      expect((await cache.get(agent)).version).toBe(1);

      const id = await bed.publisher().publish(agent);
      await caughtUp(subscriber, id);
      expect((await cache.get(agent)).version).toBe(2);
      expect(store.callCountFor(agent)).toBe(2);
      expect(subscriber.stats()).toMatchObject({ events: 1, invalidations: 1 });
      expect(gapsOf(subscriber)).toBe(0);
    });

    it('returns increasing entry ids and trims the stream to maxLen', async () => {
      const exact = bed.publisher({ maxLen: 5, trimming: 'exact' });
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push(await exact.publish(newAgent()));
      for (let i = 1; i < ids.length; i++) {
        expect(compareStreamIds(ids[i - 1] as string, ids[i] as string)).toBeLessThan(0);
      }
      expect(await bed.admin.xlen(bed.key)).toBe(5);

      // Approximate trimming removes whole nodes only (100 entries by default).
      const approximate = bed.publisher({ maxLen: 5 });
      for (let i = 0; i < 250; i++) await approximate.publish(newAgent());
      const length = await bed.admin.xlen(bed.key);
      expect(length).toBeGreaterThanOrEqual(5);
      expect(length).toBeLessThan(250);
    });

    it('rejects Unconfirmed when Redis is unreachable, and with a closed error after close()', async () => {
      const unreachable = new RedisInvalidationPublisher({
        url: 'redis://127.0.0.1:1',
        key: bed.key,
        redisOptions: { connectTimeout: 500 },
      });
      const failure = await unreachable.publish(newAgent()).catch((error: unknown) => error);
      expect(isInvalidationError(failure, INVALIDATION_ERROR_CODES.Unconfirmed)).toBe(true);
      expect((failure as Error).cause).toBeInstanceOf(Error);
      await unreachable.close();
      await expect(unreachable.publishAll()).rejects.toMatchObject({
        code: INVALIDATION_ERROR_CODES.Closed,
      });
    });
  });

  describe('publishAll()', () => {
    it("clears another instance's cache: every agent reloads", async () => {
      const [a, b] = [newAgent(), newAgent()];
      const store = new MemoryPolicyStore().insert(a, samplePolicy(1)).insert(b, samplePolicy(1));
      const cache = new L1Cache(asCacheSource(store), { ttlMs: 60_000 });
      const subscriber = bed.subscriber({ sink: [cache] });
      await subscriber.start();
      await cache.get(a);
      await cache.get(b);
      store.insert(a, samplePolicy(2)).insert(b, samplePolicy(3));

      await caughtUp(subscriber, await bed.publisher().publishAll());
      expect(cache.size).toBe(0);
      expect((await cache.get(a)).version).toBe(2);
      expect((await cache.get(b)).version).toBe(3);
      expect(subscriber.stats()).toMatchObject({
        clears: 2,
        clearCauses: { start: 1, published: 1 },
        invalidations: 0,
      });
    });
  });

  describe('ordering', () => {
    it('applies events to every sink in publish order, each exactly once', async () => {
      const sinks = [new RecordingSink(), new RecordingSink()];
      const subscriber = bed.subscriber({ sink: sinks, batchSize: 7 });
      await subscriber.start();
      const publisher = bed.publisher();
      const expected: SinkCall[] = [['clear']]; // the '$' start clears once
      let last = '';
      for (let i = 0; i < 60; i++) {
        if (i % 13 === 0) {
          last = await publisher.publishAll();
          expected.push(['clear']);
        } else {
          const agent = newAgent();
          last = await publisher.publish(agent);
          expected.push(['invalidate', agent]);
        }
      }
      await caughtUp(subscriber, last);
      expect(sinks[0]?.calls).toEqual(expected);
      expect(sinks[1]?.calls).toEqual(expected);
      expect(subscriber.lastId).toBe(last);
    });

    it('interleaves concurrent publishers into one order that every subscriber sees', async () => {
      const [first, second] = [new RecordingSink(), new RecordingSink()];
      const subscribers = [bed.subscriber({ sink: [first] }), bed.subscriber({ sink: [second] })];
      await Promise.all(subscribers.map((subscriber) => subscriber.ready));
      const publishers = [bed.publisher(), bed.publisher(), bed.publisher()];
      const ids = await Promise.all(
        Array.from(
          { length: 90 },
          (_, i) => publishers[i % 3]?.publish(newAgent()) as Promise<string>,
        ),
      );
      const newest = ids.reduce((a, b) => (compareStreamIds(a, b) >= 0 ? a : b));
      await Promise.all(subscribers.map((subscriber) => caughtUp(subscriber, newest)));
      expect(first.calls).toHaveLength(91);
      expect(second.calls).toEqual(first.calls);
    });
  });

  describe('start position', () => {
    it("starts at '$': skips earlier events and clears its sinks once, when ready", async () => {
      const publisher = bed.publisher();
      await publisher.publish(newAgent());
      await publisher.publishAll();
      const sink = new RecordingSink();
      const subscriber = bed.subscriber({ sink: [sink] });
      expect(subscriber.lastId).toBeUndefined();
      await subscriber.start();
      expect(sink.calls).toEqual([['clear']]);

      const agent = newAgent();
      await caughtUp(subscriber, await publisher.publish(agent));
      expect(sink.calls).toEqual([['clear'], ['invalidate', agent]]);
      expect(subscriber.stats()).toMatchObject({ events: 1 });
      expect(gapsOf(subscriber)).toBe(0);
    });

    it("starts at '$' on a stream that does not exist yet, and reads it from its first entry", async () => {
      const sink = new RecordingSink();
      const subscriber = bed.subscriber({ sink: [sink] });
      await subscriber.start();
      expect(subscriber.lastId).toBe('0-0');
      const agent = newAgent();
      await caughtUp(subscriber, await bed.publisher().publish(agent));
      expect(sink.calls).toEqual([['clear'], ['invalidate', agent]]);
      expect(gapsOf(subscriber)).toBe(0);
    });

    it('resumes after a startId (an earlier subscriber’s lastId) without clearing', async () => {
      const publisher = bed.publisher();
      const first = bed.subscriber({ sink: [new RecordingSink()] });
      await first.ready;
      await caughtUp(first, await publisher.publish(newAgent()));
      const resumeAt = first.lastId as string;
      await first.close();

      const missed = [newAgent(), newAgent()];
      for (const agent of missed) await publisher.publish(agent);
      const sink = new RecordingSink();
      const second = bed.subscriber({ sink: [sink], startId: resumeAt });
      expect(second.lastId).toBe(resumeAt);
      await second.ready;
      await waitUntil(() => sink.calls.length === 2, 'the two missed events');
      expect(sink.calls).toEqual(missed.map((agent) => ['invalidate', agent]));
      expect(gapsOf(second)).toBe(0);
    });
  });

  describe('close()', () => {
    it('leaves no connection, socket or timer open, and no sink is called afterwards', async () => {
      await bed.admin.ping(); // the admin connection is up, its connect timer gone
      const baseline = resourceCounts();
      const sink = new RecordingSink();
      const subscriber = new RedisInvalidationSubscriber({
        key: bed.key,
        sink: [sink],
        connectionName: `aa-test-${randomUUID()}`,
        onError: (error) => bed.errors.push(error),
      });
      const publisher = new RedisInvalidationPublisher({ key: bed.key });
      await subscriber.start();
      await caughtUp(subscriber, await publisher.publish(newAgent()));
      expect(await bed.connectionsNamed(subscriber.connectionName)).toBe(1);
      expect(resourceCounts().sockets).toBe(baseline.sockets + 2);

      // Closed while its XREAD is blocked on the server.
      await subscriber.close();
      await publisher.close();
      expectNothingMoreThan(baseline);
      expect(await bed.connectionsNamed(subscriber.connectionName)).toBe(0);
      expect(subscriber.connected).toBe(false);

      const calls = sink.calls.length;
      const other = bed.publisher();
      await other.publish(newAgent());
      await other.publishAll();
      await pause(100);
      expect(sink.calls).toHaveLength(calls);
      await subscriber.close(); // idempotent
      expect(bed.errors).toEqual([]);
    });

    it('rejects ready, stops retrying and leaves nothing open when closed before Redis ever answered', async () => {
      await bed.admin.ping(); // the admin connection is up, its connect timer gone
      const baseline = resourceCounts();
      const errors: Error[] = [];
      const subscriber = new RedisInvalidationSubscriber({
        url: 'redis://127.0.0.1:1',
        key: bed.key,
        sink: [new RecordingSink()],
        reconnectDelayMs: 10,
        maxReconnectDelayMs: 40,
        onError: (error) => errors.push(error),
      });
      await waitUntil(() => errors.length >= 3, 'three failed connection attempts');
      expect(errors.every((error) => error.message.includes('reconnecting'))).toBe(true);
      expect(errors[0]).toMatchObject({ code: INVALIDATION_ERROR_CODES.Connection });
      expect(errors[0]?.cause).toBeInstanceOf(Error);
      await subscriber.close();
      await expect(subscriber.ready).rejects.toMatchObject({
        code: INVALIDATION_ERROR_CODES.Closed,
      });
      const attempts = errors.length;
      await pause(100);
      expect(errors).toHaveLength(attempts);
      expectNothingMoreThan(baseline);
    });
  });
});

/** Open sockets and timers in this thread. */
interface ResourceCounts {
  readonly sockets: number;
  readonly timers: number;
}

function resourceCounts(): ResourceCounts {
  const kinds = process.getActiveResourcesInfo();
  return {
    sockets: kinds.filter((kind) => kind === 'TCPSocketWrap').length,
    timers: kinds.filter((kind) => kind === 'Timeout').length,
  };
}

/**
 * Asserts that no socket or timer is open beyond `baseline`. Sockets must match
 * exactly; timers may be fewer, since the test runner's own come and go.
 */
function expectNothingMoreThan(baseline: ResourceCounts): void {
  const now = resourceCounts();
  expect(now.sockets).toBe(baseline.sockets);
  expect(now.timers).toBeLessThanOrEqual(baseline.timers);
}
