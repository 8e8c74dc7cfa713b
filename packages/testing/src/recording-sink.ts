import type { AgentId, InvalidationSink } from '@aa/core';

/** One call a {@link RecordingSink} received: `['invalidate', id]` or `['clear']`. */
export type SinkCall = readonly ['invalidate', AgentId] | readonly ['clear'];

/**
 * An `InvalidationSink` that records every call, in order, then forwards it to
 * `inner` when one is given (an `L1Cache`, say, so a test both sees the calls
 * and keeps a working cache), returning what `inner` returns: what a test
 * asserts an invalidation transport did.
 *
 * @example
 * const sink = new RecordingSink(cache);
 * const subscriber = new RedisInvalidationSubscriber({ sink });
 * // …
 * expect(sink.calls).toEqual([['clear'], ['invalidate', id]]);
 */
export class RecordingSink implements InvalidationSink<AgentId> {
  /** Every call received, oldest first. */
  readonly calls: SinkCall[] = [];
  readonly #inner: InvalidationSink<AgentId> | undefined;

  /** @param inner - a sink every call is forwarded to, after it is recorded. */
  constructor(inner?: InvalidationSink<AgentId>) {
    this.#inner = inner;
  }

  /** Records `['invalidate', id]`, then forwards it. */
  invalidate(id: AgentId): unknown {
    this.calls.push(['invalidate', id]);
    return this.#inner?.invalidate(id);
  }

  /** Records `['clear']`, then forwards it. */
  clear(): unknown {
    this.calls.push(['clear']);
    return this.#inner?.clear();
  }

  /** How many calls of `kind` were recorded. */
  count(kind: SinkCall[0]): number {
    return this.calls.filter((call) => call[0] === kind).length;
  }

  /** The ids invalidated, in order. */
  invalidated(): AgentId[] {
    return this.calls.flatMap((call) => (call[0] === 'invalidate' ? [call[1]] : []));
  }
}
