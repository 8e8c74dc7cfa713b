import type { AgentId, InvalidationSink } from '@aa/core';

/** One call a {@link RecordingSink} received: `['invalidate', id]` or `['clear']`. */
export type SinkCall = readonly ['invalidate', AgentId] | readonly ['clear'];

/**
 * An `InvalidationSink` that records every call, in order, then forwards it
 * to `inner` when one is given (an `L1Cache`, say, so a test both sees the
 * calls and keeps a working cache).
 *
 * @example
 * const sink = new RecordingSink();
 * // … start a subscriber with `sink` …
 * expect(sink.calls).toEqual([['clear'], ['invalidate', id]]);
 */
export class RecordingSink implements InvalidationSink<AgentId> {
  /** Every call received, oldest first. */
  readonly calls: SinkCall[] = [];
  readonly #inner: InvalidationSink<AgentId> | undefined;

  /** A sink recording calls, and forwarding them to `inner` if given. */
  constructor(inner?: InvalidationSink<AgentId>) {
    this.#inner = inner;
  }

  /** Records `['invalidate', id]`, then forwards. */
  invalidate(id: AgentId): void {
    this.calls.push(['invalidate', id]);
    this.#inner?.invalidate(id);
  }

  /** Records `['clear']`, then forwards. */
  clear(): void {
    this.calls.push(['clear']);
    this.#inner?.clear();
  }

  /** How many calls of `kind` were recorded. */
  count(kind: SinkCall[0]): number {
    return this.calls.filter((call) => call[0] === kind).length;
  }
}
