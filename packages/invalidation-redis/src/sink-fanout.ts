import type { AgentId, InvalidationSink } from '@aa/core';
import { INVALIDATION_ERROR_CODES, RedisInvalidationError } from './errors.js';

/**
 * Applies one event to every sink of a subscriber, in order. A sink that
 * throws (or rejects) is reported and, for an `invalidate`, cleared instead:
 * it may still hold the copy it failed to drop. The other sinks are applied
 * regardless. A sink's returned promise is awaited before the next sink.
 */
export class SinkFanout {
  readonly #sinks: readonly InvalidationSink<AgentId>[];
  readonly #report: (error: RedisInvalidationError) => void;
  readonly #isClosed: () => boolean;
  /** Sink calls that failed, for the subscriber's stats. */
  failures = 0;

  /**
   * @param isClosed - checked before each sink, so nothing reaches a sink once
   *   the subscriber is closed.
   */
  constructor(
    sinks: readonly InvalidationSink<AgentId>[],
    report: (error: RedisInvalidationError) => void,
    isClosed: () => boolean,
  ) {
    this.#sinks = sinks;
    this.#report = report;
    this.#isClosed = isClosed;
  }

  /** `invalidate(agentId)` on every sink. */
  async invalidate(agentId: AgentId, entryId: string): Promise<void> {
    for (const sink of this.#sinks) {
      if (this.#isClosed()) return;
      try {
        const pending = settle(sink.invalidate(agentId));
        if (pending !== undefined) await pending;
      } catch (error) {
        this.#failed(error, `invalidate(${agentId})`, entryId);
        await this.#clearOne(sink, entryId);
      }
    }
  }

  /** `clear()` on every sink. */
  async clear(entryId: string | undefined): Promise<void> {
    for (const sink of this.#sinks) {
      if (this.#isClosed()) return;
      await this.#clearOne(sink, entryId);
    }
  }

  async #clearOne(sink: InvalidationSink<AgentId>, entryId: string | undefined): Promise<void> {
    try {
      const pending = settle(sink.clear());
      if (pending !== undefined) await pending;
    } catch (error) {
      this.#failed(error, 'clear()', entryId);
    }
  }

  #failed(error: unknown, call: string, entryId: string | undefined): void {
    this.failures++;
    this.#report(
      new RedisInvalidationError(INVALIDATION_ERROR_CODES.Sink, `a sink's ${call} failed`, {
        cause: error,
        entryId,
      }),
    );
  }
}

/** Awaits `result` only when it is a promise: a synchronous sink costs no extra tick. */
function settle(result: unknown): Promise<unknown> | undefined {
  return typeof (result as PromiseLike<unknown> | null)?.then === 'function'
    ? Promise.resolve(result)
    : undefined;
}
