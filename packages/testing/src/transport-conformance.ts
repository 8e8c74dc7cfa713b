import type { AgentId, InvalidationSink, Scheduler } from '@aa/core';
import { afterEach, describe, expect, it } from 'vitest';
import { freshAgentId } from './fresh-ids.js';
import { ManualScheduler } from './manual-scheduler.js';
import { RecordingSink } from './recording-sink.js';

/**
 * The stable codes of the `InvalidationError`s of `@aa/invalidation` that the
 * suite checks for (restated here so that `@aa/testing` does not depend on it).
 */
const CODES = {
  Connection: 'AA_INVALIDATION_CONNECTION',
  Malformed: 'AA_INVALIDATION_MALFORMED',
  Sink: 'AA_INVALIDATION_SINK',
  Closed: 'AA_INVALIDATION_CLOSED',
} as const;

/** An error with a stable `code`, as an `InvalidationError` is. */
export type CodedError = Error & { readonly code?: string };

/**
 * The options the suite passes to {@link ConformanceBus.subscribe}: the common
 * options of every `@aa/invalidation` subscriber (`SubscriberOptions`).
 */
export interface ConformanceSubscriberOptions {
  /** What the events drive. */
  readonly sink: InvalidationSink<AgentId> | readonly InvalidationSink<AgentId>[];
  /** Where every wait is timed: the suite passes a `ManualScheduler`. */
  readonly scheduler?: Scheduler;
  /** The jitter source. */
  readonly random?: (() => number) | undefined;
  /** Told of every error. */
  readonly onError?: ((error: CodedError) => void) | undefined;
  /** The deadline for connecting, and for each reply. */
  readonly connectTimeoutMs?: number;
  /** How often an idle connection proves it is alive. */
  readonly heartbeatIntervalMs?: number;
  /** How long a sink's promise may take. */
  readonly sinkTimeoutMs?: number;
}

/**
 * What the suite uses of a subscriber: the members every `@aa/invalidation`
 * `InvalidationSubscriber` has.
 */
export interface ConformanceSubscriber {
  /** `'connecting'`, `'connected'`, `'backoff'` or `'closed'`. */
  readonly state: string;
  /** Whether a connection is subscribed right now. */
  readonly connected: boolean;
  /** Settles when the current connection is subscribed; rejects once closed. */
  readonly ready: Promise<void>;
  /** Resolves once the first connection is subscribed. */
  start(): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
  /** The subscriber's cumulative counters. */
  stats(): {
    readonly connects: number;
    readonly reconnects: number;
    readonly disconnections: number;
    readonly failedAttempts: number;
    readonly events: number;
    readonly invalidations: number;
    readonly clears: number;
    readonly clearCauses: Readonly<Record<string, number>>;
    readonly malformed: number;
    readonly sinkErrors: number;
  };
}

/**
 * One isolated invalidation bus for one test (its own channel or stream key,
 * its own fault proxy between subscribers and the server), as
 * {@link describeInvalidationTransportConformance} drives it.
 */
export interface ConformanceBus {
  /**
   * A subscriber of this bus, connecting through the bus's fault proxy, with
   * `options` (the common subscriber options; the suite also passes unknown
   * ones, which must be rejected) added to the transport's own.
   */
  subscribe(options: ConformanceSubscriberOptions): ConformanceSubscriber;
  /** Announces that `agentId` changed, as a writer does (not through the proxy). */
  publish(agentId: AgentId): Promise<void>;
  /** Announces that everything may have changed. */
  publishAll(): Promise<void>;
  /** Puts an event on the bus that is not an invalidation (a garbled payload). */
  publishMalformed(): Promise<void>;
  /**
   * The proxy resets every open connection; later ones flow normally. (The
   * subscriber stays away until the suite moves its scheduler past the backoff.)
   */
  cut(): void;
  /** The proxy stops forwarding in both directions, closing nothing, until {@link heal}. */
  silence(): void;
  /** The proxy forwards again. */
  heal(): void;
  /**
   * Makes what was published while subscribers were away unrecoverable (a
   * trimmed or deleted stream, a restarted gateway); a transport without replay
   * may do nothing.
   */
  loseHistory(): Promise<void>;
  /** Releases the bus: the proxy, the publisher, the channel. */
  close(): Promise<void>;
}

/** What {@link describeInvalidationTransportConformance} needs from a transport. */
export interface TransportConformanceHarness {
  /**
   * Whether a subscriber that lost its connection and reconnects receives what
   * was published meanwhile (a stream, a replay ring) rather than clearing.
   */
  readonly replays: boolean;
  /** A fresh bus for one test. */
  bus(): Promise<ConformanceBus>;
}

/** Real milliseconds a condition may take to come true (I/O, not timers). */
const SETTLE_MS = 10_000;

/**
 * Registers a vitest suite, `${name} conforms to the invalidation transport
 * contract`, proving that a transport on `@aa/invalidation`'s core keeps the
 * promises a cache relies on: delivery in order, a clear whenever continuity
 * cannot be proven (never a silent loss), a malformed event cleared rather than
 * guessed, the one rule for throwing and async sinks, unknown options rejected,
 * a silent peer noticed within `heartbeatIntervalMs + connectTimeoutMs`, and
 * nothing left open after `close()`. Every timer goes through a
 * `ManualScheduler`: no test sleeps on purpose or asserts a wall-clock gap.
 *
 * @example
 * describeInvalidationTransportConformance('RedisInvalidationSubscriber', {
 *   replays: true,
 *   bus: () => redisBus(), // a stream key of its own, behind a fault proxy
 * });
 */
export function describeInvalidationTransportConformance(
  name: string,
  harness: TransportConformanceHarness,
): void {
  describe(`${name} conforms to the invalidation transport contract`, { timeout: 30_000 }, () => {
    const open: {
      bus?: ConformanceBus | undefined;
      subscribers: ConformanceSubscriber[];
    } = {
      subscribers: [],
    };
    afterEach(async () => {
      await Promise.all(open.subscribers.splice(0).map((subscriber) => subscriber.close()));
      await open.bus?.close();
      open.bus = undefined;
    });

    /** A fresh bus from the harness, closed after the test. */
    async function openBus(): Promise<ConformanceBus> {
      const bus = await harness.bus();
      open.bus = bus;
      return bus;
    }

    async function setUp(options: Partial<ConformanceSubscriberOptions> = {}) {
      const bus = await openBus();
      const scheduler = new ManualScheduler();
      const sink = new RecordingSink();
      const errors: CodedError[] = [];
      const subscriber = bus.subscribe({
        sink,
        scheduler,
        random: () => 0,
        onError: (error) => errors.push(error),
        ...options,
      });
      open.subscribers.push(subscriber);
      const drive = (condition: () => boolean, what: string) =>
        advanceUntil(scheduler, subscriber, condition, what);
      return { bus, scheduler, sink, errors, subscriber, drive };
    }

    it('applies every event once, in publish order, after one clear at start', async () => {
      const { bus, sink, subscriber, drive } = await setUp();
      await subscriber.start();
      expect(sink.calls).toEqual([['clear']]);
      const [a, b] = [freshAgentId(), freshAgentId()];
      await bus.publish(a);
      await bus.publish(b);
      await bus.publish(a);
      await bus.publishAll();
      await bus.publish(b);
      await drive(() => sink.calls.length === 6, 'five events to arrive');
      expect(sink.calls).toEqual([
        ['clear'],
        ['invalidate', a],
        ['invalidate', b],
        ['invalidate', a],
        ['clear'],
        ['invalidate', b],
      ]);
      expect(subscriber.stats()).toMatchObject({
        connects: 1,
        reconnects: 0,
        events: 5,
        invalidations: 4,
        clears: 2,
        clearCauses: { start: 1, published: 1 },
        malformed: 0,
        sinkErrors: 0,
      });
    });

    it('clears after a reconnect that cannot prove it missed nothing', async () => {
      const { bus, sink, subscriber, drive } = await setUp();
      await subscriber.start();
      bus.cut();
      await eventually(() => !subscriber.connected, 'the connection to drop');
      const missed = freshAgentId();
      await bus.publish(missed);
      await bus.loseHistory();
      await drive(() => subscriber.stats().reconnects === 1, 'a reconnect');
      const { clearCauses, clears } = subscriber.stats();
      expect(clears, 'a clear after the reconnect').toBe(2);
      expect(Object.keys(clearCauses).filter((cause) => cause !== 'start')).toHaveLength(1);
      expect(sink.calls.at(-1)).toEqual(['clear']);
      // What follows still reaches the sink: as its invalidation, or as a clear
      // (a transport may stay conservative right after a gap).
      const before = sink.calls.length;
      const next = freshAgentId();
      await bus.publish(next);
      await drive(
        () => sink.calls.slice(before).some((call) => call[0] === 'clear' || call[1] === next),
        'the next event',
      );
    });

    it(
      harness.replays
        ? 'resumes after a reconnect with what was published meanwhile, without clearing'
        : 'clears after every reconnect, since it cannot replay',
      async () => {
        const { bus, sink, subscriber, drive } = await setUp();
        await subscriber.start();
        bus.cut();
        await eventually(() => !subscriber.connected, 'the connection to drop');
        const meanwhile = freshAgentId();
        await bus.publish(meanwhile);
        await drive(() => subscriber.stats().reconnects === 1, 'a reconnect');
        if (harness.replays) {
          await drive(() => sink.invalidated().includes(meanwhile), 'the replayed event');
          expect(subscriber.stats().clears).toBe(1);
        } else {
          expect(subscriber.stats().clearCauses).toMatchObject({ start: 1, reconnect: 1 });
        }
      },
    );

    it('clears for a malformed event, reports it, and reads on', async () => {
      const { bus, sink, errors, subscriber, drive } = await setUp();
      await subscriber.start();
      await bus.publishMalformed();
      await drive(() => subscriber.stats().malformed === 1, 'the malformed event');
      expect(sink.calls).toEqual([['clear'], ['clear']]);
      expect(subscriber.stats().clearCauses).toMatchObject({ malformed: 1 });
      expect(errors.some((error) => error.code === CODES.Malformed)).toBe(true);
      const next = freshAgentId();
      await bus.publish(next);
      await drive(() => sink.invalidated().includes(next), 'the next event');
    });

    it('clears a sink whose invalidate throws, and still applies the others', async () => {
      const throwing = new RecordingSink({
        invalidate: () => {
          throw new Error('sink failure');
        },
        clear: () => {},
      });
      const healthy = new RecordingSink();
      const { bus, errors, subscriber, drive } = await setUp({ sink: [throwing, healthy] });
      await subscriber.start();
      const id = freshAgentId();
      await bus.publish(id);
      await drive(() => healthy.invalidated().includes(id), 'the event');
      expect(throwing.calls).toEqual([['clear'], ['invalidate', id], ['clear']]);
      expect(subscriber.stats().sinkErrors).toBe(1);
      expect(errors.filter((error) => error.code === CODES.Sink)).toHaveLength(1);
    });

    it("awaits an async sink's promise before the next event, within sinkTimeoutMs", async () => {
      const settle: (() => void)[] = [];
      // The first two calls answer when the test says so; later ones at once.
      const slow: InvalidationSink<AgentId> = {
        invalidate: () =>
          settle.length < 2 ? new Promise<void>((resolve) => settle.push(resolve)) : undefined,
        clear: () => {},
      };
      const recorder = new RecordingSink(slow);
      const { bus, scheduler, errors, subscriber, drive } = await setUp({
        sink: recorder,
        sinkTimeoutMs: 1_000,
      });
      await subscriber.start();
      const [first, second, third] = [freshAgentId(), freshAgentId(), freshAgentId()];
      await bus.publish(first);
      await bus.publish(second);
      await bus.publish(third);
      await eventually(() => settle.length === 1, 'the first call');
      await settleIo();
      expect(recorder.invalidated(), 'the second waits for the first').toEqual([first]);
      settle[0]?.();
      await eventually(() => settle.length === 2, 'the second call');
      // The second never settles: past sinkTimeoutMs it fails, that sink is
      // cleared, and the third goes on.
      scheduler.advance(1_000);
      await drive(() => recorder.invalidated().length === 3, 'the third event');
      expect(recorder.calls.slice(-3)).toEqual([
        ['invalidate', second],
        ['clear'],
        ['invalidate', third],
      ]);
      expect(errors.some((error) => error.code === CODES.Sink)).toBe(true);
    });

    it('rejects unknown options and heartbeatIntervalMs: 0 with a TypeError', async () => {
      const bus = await openBus();
      const sink = new RecordingSink();
      const bogus = { sink, bogus: true } as ConformanceSubscriberOptions;
      expect(() => bus.subscribe(bogus)).toThrow(/unknown option `bogus`/);
      expect(() => bus.subscribe({ sink, heartbeatIntervalMs: 0 })).toThrow(TypeError);
      expect(() => bus.subscribe({ sink, connectTimeoutMs: -1 })).toThrow(TypeError);
      expect(() => bus.subscribe({ sink: {} as InvalidationSink<AgentId> })).toThrow(TypeError);
    });

    it('notices a silent peer within heartbeatIntervalMs + connectTimeoutMs, then recovers', async () => {
      const heartbeatIntervalMs = 1_000;
      const connectTimeoutMs = 500;
      const { bus, scheduler, sink, subscriber, drive } = await setUp({
        heartbeatIntervalMs,
        connectTimeoutMs,
      });
      await subscriber.start();
      bus.silence();
      await settleIo();
      scheduler.advance(heartbeatIntervalMs + connectTimeoutMs - 1);
      await settleIo();
      expect(subscriber.stats().disconnections, 'not before the bound').toBe(0);
      scheduler.advance(1);
      await eventually(() => subscriber.stats().disconnections === 1, 'the silence to be noticed');
      bus.heal();
      await drive(() => subscriber.stats().reconnects === 1, 'a reconnect once healed');
      const next = freshAgentId();
      await bus.publish(next);
      await drive(() => sink.invalidated().includes(next), 'an event after recovery');
    });

    it('gives up on a connection attempt to a silent peer within connectTimeoutMs', async () => {
      const bus = await openBus();
      bus.silence();
      const scheduler = new ManualScheduler();
      const errors: CodedError[] = [];
      const subscriber = bus.subscribe({
        sink: new RecordingSink(),
        scheduler,
        connectTimeoutMs: 500,
        onError: (error) => errors.push(error),
      });
      open.subscribers.push(subscriber);
      await settleIo();
      scheduler.advance(500);
      await eventually(() => subscriber.stats().failedAttempts === 1, 'the attempt to time out');
      expect(subscriber.state).toBe('backoff');
      expect(errors[0]?.code).toBe(CODES.Connection);
    });

    it('calls no sink after close(), even from a re-entrant sink, and leaves no handle', async () => {
      const baseline = activeHandles();
      let closing: Promise<void> | undefined;
      const reentrant = { closeSubscriber: (): Promise<void> | undefined => undefined };
      const sink = new RecordingSink({
        invalidate: () => {
          closing ??= reentrant.closeSubscriber();
        },
        clear: () => {},
      });
      const { bus, subscriber, drive } = await setUp({ sink });
      reentrant.closeSubscriber = () => subscriber.close();
      await subscriber.start();
      await bus.publish(freshAgentId());
      await bus.publish(freshAgentId());
      await drive(() => closing !== undefined, 'the first event');
      await closing;
      await bus.publish(freshAgentId());
      await settleIo();
      expect(sink.count('invalidate')).toBe(1);
      expect(subscriber.state).toBe('closed');
      await expect(subscriber.ready).rejects.toSatisfy((error) => error.code === CODES.Closed);
      await bus.close();
      open.bus = undefined;
      await eventually(
        () => leftover(baseline, activeHandles()).length === 0,
        () => `no handle left (left: ${leftover(baseline, activeHandles()).join(', ')})`,
      );
    });

    it('rejects start() with Closed when closed while connecting, and leaves no handle', async () => {
      const baseline = activeHandles();
      const bus = await openBus();
      bus.silence();
      const subscriber = bus.subscribe({ sink: new RecordingSink(), onError: () => {} });
      const started = subscriber.start();
      await settleIo();
      await subscriber.close();
      await expect(started).rejects.toSatisfy((error) => error.code === CODES.Closed);
      await bus.close();
      open.bus = undefined;
      await eventually(
        () => leftover(baseline, activeHandles()).length === 0,
        () => `no handle left (left: ${leftover(baseline, activeHandles()).join(', ')})`,
      );
    });
  });
}

/** Lets pending I/O callbacks and promise chains run (real time, no assertion on it). */
function settleIo(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * Polls `condition` in real time, for I/O to happen, every `intervalMs`,
 * calling `between` after each pause; fails after {@link SETTLE_MS}.
 */
async function eventually(
  condition: () => boolean,
  what: string | (() => string),
  intervalMs = 10,
  between: () => void = () => {},
): Promise<void> {
  const deadline = performance.now() + SETTLE_MS;
  while (!condition()) {
    if (performance.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    between();
  }
}

/**
 * Waits in real time for `condition`, moving `scheduler` on 100 ms at a time
 * while the subscriber is backing off, and only then: its reads and connection
 * attempts run on the server's clock, which a manual one must not outrun.
 */
function advanceUntil(
  scheduler: ManualScheduler,
  subscriber: ConformanceSubscriber,
  condition: () => boolean,
  what: string,
): Promise<void> {
  return eventually(condition, what, 5, () => {
    if (subscriber.state === 'backoff') scheduler.advance(100);
  });
}

/** The process's active resources that a transport could leave behind. */
function activeHandles(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((name) => name === 'TCPSocketWrap' || name === 'TCPServerWrap' || name === 'PipeWrap');
}

/** What `after` holds beyond `before`, as a multiset. */
function leftover(before: readonly string[], after: readonly string[]): string[] {
  const remaining = [...before];
  return after.filter((name) => {
    const index = remaining.indexOf(name);
    if (index === -1) return true;
    remaining.splice(index, 1);
    return false;
  });
}
