import { type AgentId, type InvalidationSink, isThenable, type Scheduler } from '@aa/core';
import { withDeadline } from './deadline.js';
import { INVALIDATION_ERROR_CODES, InvalidationError } from './invalidation-error.js';

/**
 * The one rule by which a subscriber drives its sinks, for every transport:
 * - sinks are called in order, one event at a time; a sink that returns a
 *   promise is awaited (up to `sinkTimeoutMs`) before the next sink and event,
 *   and a synchronous one costs no extra tick;
 * - a sink whose `invalidate` throws, rejects or times out is reported and
 *   cleared instead: it may still hold the copy it failed to drop. A failing
 *   `clear` is reported. The other sinks are applied regardless;
 * - once the subscriber is closed, no sink is called, and a sink's pending
 *   promise is no longer awaited.
 */
export class SinkFanout {
  readonly #sinks: readonly InvalidationSink<AgentId>[];
  readonly #timeoutMs: number;
  readonly #scheduler: Scheduler;
  readonly #report: (error: InvalidationError) => void;
  readonly #stop: AbortSignal;
  /** Sink calls that failed, for the subscriber's stats. */
  failures = 0;

  /**
   * @param report - told of each failing call.
   * @param stop - aborted by `close()`: no sink is called after it, and a
   *   sink's pending promise is no longer awaited.
   */
  constructor(
    sinks: readonly InvalidationSink<AgentId>[],
    timeoutMs: number,
    scheduler: Scheduler,
    report: (error: InvalidationError) => void,
    stop: AbortSignal,
  ) {
    this.#sinks = sinks;
    this.#timeoutMs = timeoutMs;
    this.#scheduler = scheduler;
    this.#report = report;
    this.#stop = stop;
  }

  /** `invalidate(agentId)` on every sink. */
  async invalidate(agentId: AgentId): Promise<void> {
    const what = `invalidate(${agentId})`;
    for (const sink of this.#sinks) {
      if (this.#stop.aborted) return;
      try {
        await this.#call(() => sink.invalidate(agentId), what);
      } catch (error) {
        if (this.#stop.aborted) return;
        this.#failed(error, what, 'cleared that sink instead');
        await this.#clearOne(sink);
      }
    }
  }

  /** `clear()` on every sink. */
  async clear(): Promise<void> {
    for (const sink of this.#sinks) {
      if (this.#stop.aborted) return;
      await this.#clearOne(sink);
    }
  }

  async #clearOne(sink: InvalidationSink<AgentId>): Promise<void> {
    try {
      await this.#call(() => sink.clear(), 'clear()');
    } catch (error) {
      if (this.#stop.aborted) return;
      this.#failed(error, 'clear()', 'it may serve stale entries until they expire');
    }
  }

  /** Calls `call`, and awaits its result only when it is a promise. */
  #call(call: () => unknown, what: string): Promise<unknown> | undefined {
    const result = call();
    if (!isThenable(result)) return undefined;
    return withDeadline(
      Promise.resolve(result),
      this.#timeoutMs,
      `a sink's ${what}`,
      this.#scheduler,
      this.#stop,
    );
  }

  #failed(error: unknown, call: string, consequence: string): void {
    this.failures++;
    this.#report(
      new InvalidationError(
        INVALIDATION_ERROR_CODES.Sink,
        `a sink's ${call} failed; ${consequence}`,
        { cause: error },
      ),
    );
  }
}
