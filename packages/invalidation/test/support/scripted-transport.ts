import { randomUUID } from 'node:crypto';
import { AgentId } from '@aa/core';
import { ManualScheduler, RecordingSink } from '@aa/testing';
import {
  type ConnectContext,
  type Continuity,
  type InvalidationError,
  InvalidationSubscriber,
  type InvalidationTransport,
  resolveSubscriberOptions,
  type SubscriberOptions,
  type TransportConnection,
  type TransportEvent,
} from '../../src/index.js';

/** One connection attempt of a {@link ScriptedTransport}, waiting for the test's answer. */
export interface ScriptedAttempt {
  readonly context: ConnectContext<number>;
  resolve(connection: TransportConnection<number>): void;
  reject(error: Error): void;
}

/**
 * A transport the test scripts step by step: each connect() and read() waits
 * for the test to answer it. Not a stand-in for a server (the conformance
 * suites run the real ones); it exercises the core's own rules.
 */
export class ScriptedTransport implements InvalidationTransport<number> {
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

/** A connection whose reads the test answers, one at a time, and that records its acks. */
export class ScriptedConnection implements TransportConnection<number> {
  /** The positions the subscriber reported applied, in order. */
  readonly acknowledged: number[] = [];
  readonly #reads: {
    resolve(events: readonly TransportEvent<number>[]): void;
    reject(error: Error): void;
  }[] = [];
  readonly #closed: ScriptedConnection[];

  constructor(
    readonly continuity: Continuity<number>,
    closed: ScriptedConnection[],
  ) {
    this.#closed = closed;
  }

  read(): Promise<readonly TransportEvent<number>[]> {
    return new Promise((resolve, reject) => this.#reads.push({ resolve, reject }));
  }

  /** Reads waiting for an answer. */
  get pendingReads(): number {
    return this.#reads.length;
  }

  /** Answers the oldest pending read with `events`. */
  deliver(...events: TransportEvent<number>[]): void {
    this.#reads.shift()?.resolve(events);
  }

  /** Fails the oldest pending read. */
  fail(error: Error): void {
    this.#reads.shift()?.reject(error);
  }

  applied(position: number): void {
    this.acknowledged.push(position);
  }

  async close(): Promise<void> {
    this.#closed.push(this);
  }
}

/**
 * A subscriber over `transport` (a fresh {@link ScriptedTransport} by default)
 * on a `ManualScheduler`, with no jitter (each backoff its full ceiling), a
 * {@link RecordingSink} and its errors collected; `options` override.
 */
export function scriptedSubscriber<T extends InvalidationTransport<number> = ScriptedTransport>(
  options: Partial<SubscriberOptions> = {},
  setup: { readonly transport?: T; readonly position?: number } = {},
) {
  const transport =
    setup.transport ?? (new ScriptedTransport() as InvalidationTransport<number> as T);
  const scheduler = (options.scheduler as ManualScheduler | undefined) ?? new ManualScheduler();
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
  const subscriber = new InvalidationSubscriber(transport, resolved, setup.position);
  return { transport, scheduler, sink, errors, subscriber };
}

/** Lets every pending promise callback and I/O callback run. */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A fresh agent id. */
export const freshAgent = (): AgentId => AgentId.parse(randomUUID());
