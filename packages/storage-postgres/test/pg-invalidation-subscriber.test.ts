import { L1Cache } from '@aa/cache';
import type { AgentId, PolicyDocument } from '@aa/core';
import { INVALIDATION_ERROR_CODES } from '@aa/invalidation';
import {
  createAppPool,
  createPool,
  dropSchema,
  FaultProxy,
  freshSchema,
  grantAppRole,
  PG_URL,
  postgresAvailable,
  waitUntil,
} from '@aa/test-infra';
import { ManualScheduler, RecordingSink, samplePolicy } from '@aa/testing';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  migrate,
  PgInvalidationSubscriber,
  type PgInvalidationSubscriberOptions,
  PgPolicyStore,
} from '../src/index.js';
import { freshAgentId } from './support/policy-tables.js';
import { ResourceTracker } from './support/resource-tracker.js';

const available = await postgresAvailable();
const noop = () => {};

describe('PgInvalidationSubscriber', () => {
  describe('constructor', () => {
    const sink = new RecordingSink();

    it('listens on the default channel of its schema, or on the channel given, and starts connecting', async () => {
      const onError = noop; // PG_URL may be unreachable here: these never need it
      const subscribers = [
        new PgInvalidationSubscriber({ connection: PG_URL, sink, onError }),
        new PgInvalidationSubscriber({ connection: PG_URL, sink, schema: 'eu', onError }),
        new PgInvalidationSubscriber({ connection: {}, sink, schema: 'eu', channel: 'x', onError }),
      ];
      try {
        expect(subscribers.map((subscriber) => subscriber.channel)).toEqual([
          'aa_policies.public',
          'aa_policies.eu',
          'x',
        ]);
        expect(subscribers[0]?.state).toBe('connecting');
      } finally {
        await Promise.all(subscribers.map((subscriber) => subscriber.close()));
      }
    });

    it.each([
      [
        { sink },
        'Expected `connection` to be a connection URL or a pg.ClientConfig, got `undefined`',
      ],
      [
        { connection: '', sink },
        'Expected `connection` to be a connection URL or a pg.ClientConfig',
      ],
      [{ connection: PG_URL }, 'Expected `sink` to have `invalidate()` and `clear()` methods'],
      [{ connection: PG_URL, sink: { invalidate: noop } }, 'Expected `sink` to have'],
      [
        { connection: PG_URL, sink, schema: 'Nope' },
        'Expected `schema` to be a lowercase SQL identifier',
      ],
      [
        { connection: PG_URL, sink, channel: '' },
        'Expected `channel` to be a string of 1 to 63 bytes',
      ],
      [
        { connection: PG_URL, sink, connectTimeoutMs: 0 },
        'Expected `connectTimeoutMs` to be an integer from 1 to 3600000, got `0`',
      ],
      [
        { connection: PG_URL, sink, reconnectDelayMs: -1 },
        'Expected `reconnectDelayMs` to be an integer from 1',
      ],
      [
        { connection: PG_URL, sink, heartbeatIntervalMs: 1.5 },
        'Expected `heartbeatIntervalMs` to be an integer from 100',
      ],
      [{ connection: PG_URL, sink, heartbeatIntervalMs: 0 }, 'heartbeats cannot be turned off'],
      [
        { connection: PG_URL, sink, reconnectDelayMs: 500, maxReconnectDelayMs: 100 },
        'Expected `maxReconnectDelayMs` to be an integer from `reconnectDelayMs` (500) to 3600000, got `100` (number)',
      ],
      [{ connection: PG_URL, sink, onError: 'log' }, 'Expected `onError` to be a function'],
      [{ connection: PG_URL, sink, retries: 3 }, 'got unknown option `retries`'],
      [null, 'Expected `options` to be an object, got `null`'],
    ])('rejects the options %#: %s', (options, message) => {
      const construct = () =>
        new PgInvalidationSubscriber(options as unknown as PgInvalidationSubscriberOptions);
      expect(construct).toThrow(TypeError);
      expect(construct).toThrow(message);
    });
  });

  describe('with the server unreachable', () => {
    it('retries with capped exponential backoff, reporting each failure, until closed', async () => {
      const scheduler = new ManualScheduler();
      const errors: Error[] = [];
      const subscriber = new PgInvalidationSubscriber({
        connection: 'postgres://postgres@127.0.0.1:1/test',
        sink: new RecordingSink(),
        reconnectDelayMs: 20,
        maxReconnectDelayMs: 80,
        random: () => 0.999_999, // no jitter: each delay is its full ceiling
        scheduler,
        onError: (error) => errors.push(error),
      });
      const started = subscriber.start();
      // Each attempt fails at once (ECONNREFUSED); the next one waits for the
      // scheduler to pass its backoff: 20, 40, 80, then capped at 80.
      await waitUntil(() => errors.length === 1, 'the first failure');
      for (const [index, delay] of [20, 40, 80, 80, 80].entries()) {
        scheduler.advance(delay - 1);
        await new Promise((resolve) => setImmediate(resolve));
        expect(errors, `no attempt ${index + 2} before its backoff`).toHaveLength(index + 1);
        scheduler.advance(1);
        await waitUntil(() => errors.length === index + 2, `attempt ${index + 2}`);
      }
      expect(subscriber.state).toBe('backoff');
      expect(errors[0]).toMatchObject({
        code: INVALIDATION_ERROR_CODES.Connection,
        cause: expect.objectContaining({ code: 'ECONNREFUSED' }),
      });

      await subscriber.close();
      await expect(started).rejects.toMatchObject({ code: INVALIDATION_ERROR_CODES.Closed });
      expect(scheduler.pendingTimers, 'the backoff timer is cancelled').toBe(0);
      expect(subscriber.stats().failedAttempts).toBe(6);
      expect(subscriber.state).toBe('closed');
      await expect(subscriber.start()).rejects.toMatchObject({
        code: INVALIDATION_ERROR_CODES.Closed,
      });
    });

    it('keeps no timer or socket once closed in backoff', async () => {
      const tracker = new ResourceTracker().start();
      const subscriber = new PgInvalidationSubscriber({
        connection: 'postgres://postgres@127.0.0.1:1/test',
        sink: new RecordingSink(),
        reconnectDelayMs: 60_000,
        maxReconnectDelayMs: 60_000,
        onError: noop,
      });
      void subscriber.start().catch(noop);
      await waitUntil(() => subscriber.state === 'backoff', 'the first failure');
      await subscriber.close();
      tracker.stopRecording();
      try {
        await waitUntil(
          () => tracker.alive().length === 0,
          `no resource left (${tracker.alive()})`,
          1_000,
        );
      } finally {
        tracker.dispose();
      }
    });
  });

  describe.runIf(available)('against PostgreSQL', () => {
    const schema = freshSchema('subscriber');
    let admin: pg.Pool;
    let appPool: pg.Pool;
    let store: PgPolicyStore;
    const closers: (() => unknown)[] = [];

    beforeAll(async () => {
      admin = createPool();
      await migrate(admin, { schema });
      await grantAppRole(admin, schema);
      appPool = createAppPool();
      store = new PgPolicyStore(appPool, { schema });
    });

    /** A fresh agent with its `agents` row, ready for a put. */
    async function registeredAgent(): Promise<AgentId> {
      const id = freshAgentId();
      await store.registerAgent(id);
      return id;
    }

    afterEach(async () => {
      for (const close of closers.splice(0).reverse()) await close();
    });

    afterAll(async () => {
      await appPool.end();
      await dropSchema(admin, schema);
      await admin.end();
    });

    /** A cache over the store with a subscriber feeding it, both closed after the test. */
    function instance(options: Partial<PgInvalidationSubscriberOptions> = {}) {
      const cache = new L1Cache<AgentId, PolicyDocument>(store, { ttlMs: 60_000 });
      const sink = new RecordingSink(cache);
      const errors: Error[] = [];
      const subscriber = new PgInvalidationSubscriber({
        connection: PG_URL,
        schema,
        sink,
        onError: (error) => errors.push(error),
        ...options,
      });
      closers.push(
        () => cache.dispose(),
        () => subscriber.close(),
      );
      return { cache, sink, subscriber, errors };
    }

    async function notify(payload: string, channel = store.channel): Promise<void> {
      await admin.query('SELECT pg_notify($1, $2)', [channel, payload]);
    }

    it('resolves start() once LISTEN is active, after clearing the sink', async () => {
      const { sink, subscriber } = instance();
      await subscriber.start();
      expect(subscriber.state).toBe('connected');
      expect(sink.calls).toEqual([['clear']]);
      const { rows } = await admin.query(
        `SELECT application_name, query FROM pg_stat_activity WHERE pid = $1`,
        [subscriber.backendPid],
      );
      expect(rows).toEqual([
        { application_name: 'aa-invalidation-subscriber', query: `LISTEN "aa_policies.${schema}"` },
      ]);
      // Active means a NOTIFY sent right now is heard: no grace period needed.
      const id = freshAgentId();
      await notify(id);
      await waitUntil(() => sink.calls.length === 2, 'the invalidation');
      expect(sink.calls[1]).toEqual(['invalidate', id]);
      await expect(subscriber.start()).resolves.toBeUndefined();
      expect(subscriber.stats()).toMatchObject({
        connects: 1,
        events: 1,
        invalidations: 1,
        clears: 1,
        clearCauses: { start: 1 },
      });
    });

    it('invalidates an L1Cache so that its next get returns the version just put', async () => {
      const { cache, sink, subscriber } = instance();
      await subscriber.start();
      const id = await registeredAgent();
      await store.putPolicy(id, samplePolicy(1));
      await waitUntil(() => sink.count('invalidate') === 1, 'the first invalidation');
      await expect(cache.get(id)).resolves.toMatchObject({ version: 1 });
      await expect(cache.get(id)).resolves.toMatchObject({ version: 1 });

      await store.putPolicy(id, samplePolicy(2));
      await waitUntil(() => sink.count('invalidate') === 2, 'the second invalidation');
      expect(cache.peek(id)).toBeUndefined();
      await expect(cache.get(id)).resolves.toMatchObject({ version: 2 });
      expect(cache.stats()).toMatchObject({ loads: 2, hits: 1 });
    });

    it('clears the sink on an empty payload', async () => {
      const { sink, subscriber } = instance();
      await subscriber.start();
      await notify('');
      await waitUntil(() => sink.calls.length === 2, 'the clear');
      expect(sink.calls).toEqual([['clear'], ['clear']]);
    });

    it('reports a malformed payload and clears the sink, without throwing', async () => {
      const { sink, subscriber, errors } = instance();
      await subscriber.start();
      await notify('not-an-agent-id');
      await waitUntil(() => errors.length === 1, 'the report');
      expect(errors[0]).toMatchObject({ code: INVALIDATION_ERROR_CODES.Malformed });
      expect(errors[0]?.message).toContain('"not-an-agent-id"');
      expect(sink.calls).toEqual([['clear'], ['clear']]);
      // Still listening.
      const id = freshAgentId();
      await notify(id.toUpperCase());
      await waitUntil(() => sink.calls.length === 3, 'the next invalidation');
      expect(sink.calls[2]).toEqual(['invalidate', id]);
      expect(subscriber.stats()).toMatchObject({ malformed: 1, errors: 1 });
    });

    it('reports a payload at the 8000-byte NOTIFY limit as malformed, quoting only its start, and keeps listening', async () => {
      const { sink, subscriber, errors } = instance();
      await subscriber.start();
      await notify('x'.repeat(7_999));
      await waitUntil(() => errors.length === 1, 'the report');
      expect(errors[0]).toMatchObject({ code: INVALIDATION_ERROR_CODES.Malformed });
      expect(errors[0]?.message.length).toBeLessThan(400);
      const id = freshAgentId();
      await notify(id);
      await waitUntil(() => sink.calls.length === 3, 'the next invalidation');
      expect(sink.calls).toEqual([['clear'], ['clear'], ['invalidate', id]]);
    });

    it('applies a burst of notifications from one transaction in commit order', async () => {
      const { sink, subscriber } = instance();
      await subscriber.start();
      const ids = Array.from({ length: 200 }, freshAgentId);
      const client = await admin.connect();
      try {
        await client.query('BEGIN');
        for (const id of ids) await client.query('SELECT pg_notify($1, $2)', [store.channel, id]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      await waitUntil(() => sink.calls.length === 201, 'every invalidation');
      expect(sink.invalidated()).toEqual(ids);
    });

    it('reports a sink that throws, clears it, and keeps listening', async () => {
      const errors: Error[] = [];
      const calls: string[] = [];
      let clears = 0;
      const subscriber = new PgInvalidationSubscriber({
        connection: PG_URL,
        schema,
        sink: {
          invalidate: (id) => {
            calls.push(id);
            throw new Error('sink broke');
          },
          clear: () => {
            clears++;
          },
        },
        onError: (error) => errors.push(error),
      });
      closers.push(() => subscriber.close());
      await subscriber.start();
      await notify(freshAgentId());
      await notify(freshAgentId());
      await waitUntil(() => calls.length === 2, 'both invalidations');
      await waitUntil(() => errors.length === 2, 'both reports');
      expect(errors).toEqual([
        expect.objectContaining({
          code: INVALIDATION_ERROR_CODES.Sink,
          cause: new Error('sink broke'),
        }),
        expect.objectContaining({
          code: INVALIDATION_ERROR_CODES.Sink,
          cause: new Error('sink broke'),
        }),
      ]);
      expect(clears, 'the start, then once per failed invalidate').toBe(3);
      expect(subscriber.state).toBe('connected');
    });

    it("ignores other schemas' channels", async () => {
      const { sink, subscriber } = instance();
      await subscriber.start();
      const other = freshSchema('other');
      await migrate(admin, { schema: other });
      await grantAppRole(admin, other);
      try {
        const otherStore = new PgPolicyStore(appPool, { schema: other });
        const otherAgent = freshAgentId();
        await otherStore.registerAgent(otherAgent);
        await otherStore.putPolicy(otherAgent, samplePolicy(1));
        const id = await registeredAgent();
        await store.putPolicy(id, samplePolicy(1));
        await waitUntil(() => sink.count('invalidate') === 1, 'the own channel invalidation');
        expect(sink.calls).toEqual([['clear'], ['invalidate', id]]);
      } finally {
        await dropSchema(admin, other);
      }
    });

    it('after pg_terminate_backend, reconnects, clears the sink, and then no instance serves a version older than the newest committed before recovery', async () => {
      const id = await registeredAgent();
      await store.putPolicy(id, samplePolicy(1));
      const victim = instance({ reconnectDelayMs: 150, random: () => 0.999_999 });
      const bystander = instance();
      await Promise.all([victim.subscriber.start(), bystander.subscriber.start()]);
      for (const { cache } of [victim, bystander]) {
        await expect(cache.get(id)).resolves.toMatchObject({ version: 1 });
      }

      // A writer commits new versions the whole time, through the kill and the recovery.
      let writing = true;
      let newestCommitted = 1;
      let writes = 1;
      const writer = (async () => {
        while (writing) {
          // The only writer: each document's version is its row's version.
          const next = newestCommitted + 1;
          newestCommitted = await store.putPolicy(id, samplePolicy(next));
          expect(newestCommitted).toBe(next);
          writes++;
        }
      })();
      // Stopped after the test whatever happens, so it never writes into the next one.
      closers.push(async () => {
        writing = false;
        await writer.catch(() => {});
      });
      await waitUntil(() => newestCommitted >= 3, 'a few writes');

      const pid = victim.subscriber.backendPid;
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await waitUntil(() => victim.subscriber.stats().disconnections === 1, 'the drop to be seen');
      expect(victim.subscriber.state).toBe('backoff');
      const callsAtDrop = victim.sink.calls.length;
      // The victim caches a version while deaf; the writes that follow are not notified to it.
      const cachedWhileDeaf = (await victim.cache.get(id)).version;
      await waitUntil(() => newestCommitted >= cachedWhileDeaf + 3, 'writes during the gap');

      await victim.subscriber.ready;
      const newestBeforeRecovery = newestCommitted;
      expect((await victim.cache.get(id)).version).toBeGreaterThanOrEqual(newestBeforeRecovery);
      expect(newestBeforeRecovery).toBeGreaterThan(cachedWhileDeaf);
      expect(victim.sink.calls.slice(callsAtDrop)).toContainEqual(['clear']);
      expect(victim.subscriber.backendPid).not.toBe(pid);
      expect(victim.subscriber.stats()).toMatchObject({
        connects: 2,
        disconnections: 1,
        clearCauses: { start: 1, reconnect: 1 },
      });
      expect(victim.errors[0]).toMatchObject({ code: INVALIDATION_ERROR_CODES.Connection });
      expect(victim.errors[0]?.message).toContain('lost its connection');

      writing = false;
      await writer;
      // Once the last write's notification has arrived, both serve the last write.
      await waitUntil(
        () => bystander.subscriber.stats().events === writes - 1,
        'the bystander to hear every write',
      );
      await expect(bystander.cache.get(id)).resolves.toMatchObject({ version: newestCommitted });
      await waitUntil(
        async () => (await victim.cache.get(id)).version === newestCommitted,
        'the victim to converge',
      );
      expect(bystander.subscriber.stats()).toMatchObject({ connects: 1, disconnections: 0 });
    });

    it('closes: no socket or timer left, the sink never called again, a pending ready rejected', async () => {
      const { rows } = await admin.query(`SELECT 1`); // the admin pool's own sockets exist already
      expect(rows).toHaveLength(1);
      const tracker = new ResourceTracker().start();
      const sink = new RecordingSink();
      const subscriber = new PgInvalidationSubscriber({
        connection: PG_URL,
        schema,
        sink,
        heartbeatIntervalMs: 100,
      });
      await subscriber.start();
      const pid = subscriber.backendPid;
      await new Promise((resolve) => setTimeout(resolve, 250)); // a heartbeat or two
      await subscriber.close();
      await subscriber.close();
      tracker.stopRecording();
      expect(subscriber.state).toBe('closed');
      expect(subscriber.backendPid).toBeUndefined();
      try {
        await waitUntil(
          () => tracker.alive().length === 0,
          `no resource left (${tracker.alive()})`,
          1_000,
        );
      } finally {
        tracker.dispose();
      }
      await notify(freshAgentId());
      await notify('');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(sink.calls).toEqual([['clear']]);
      await waitUntil(async () => {
        const { rows: left } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [
          pid,
        ]);
        return left.length === 0;
      }, 'the server to see the connection closed');
    });

    it('rejects start() with Closed when closed while connecting', async () => {
      const proxy = await FaultProxy.start(
        { host: new URL(PG_URL).hostname, port: Number(new URL(PG_URL).port || 5432) },
        { silent: true },
      );
      closers.push(() => proxy.close());
      const sink = new RecordingSink();
      const subscriber = new PgInvalidationSubscriber({
        connection: `postgres://postgres@127.0.0.1:${proxy.port}/test`,
        sink,
      });
      const started = subscriber.start();
      await waitUntil(() => proxy.connections === 1, 'the attempt to reach the proxy');
      expect(subscriber.state).toBe('connecting');
      await subscriber.close();
      await expect(started).rejects.toMatchObject({ code: INVALIDATION_ERROR_CODES.Closed });
      await expect(subscriber.ready).rejects.toMatchObject({
        code: INVALIDATION_ERROR_CODES.Closed,
      });
      expect(sink.calls).toEqual([]);
      await waitUntil(() => proxy.connections === 0, 'the attempt to be abandoned', 2_000);
    });
  });
});
