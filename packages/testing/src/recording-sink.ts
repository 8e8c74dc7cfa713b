import type { AgentId, InvalidationSink } from '@aa/core';

/** One call a {@link RecordingSink} received. */
export type SinkEvent =
  | { readonly type: 'invalidate'; readonly id: AgentId }
  | { readonly type: 'clear' };

/**
 * An `InvalidationSink` that records every call, in order, then forwards it to
 * `inner` (an `L1Cache`, say) when given: what a test asserts an invalidation
 * transport did.
 *
 * @example
 * const sink = new RecordingSink(cache);
 * const subscriber = new RedisInvalidationSubscriber({ sink });
 * // …
 * expect(sink.events).toEqual([{ type: 'clear' }, { type: 'invalidate', id }]);
 */
export class RecordingSink implements InvalidationSink<AgentId> {
  /** Every call received, oldest first. */
  readonly events: SinkEvent[] = [];
  readonly #inner: InvalidationSink<AgentId> | undefined;

  /** @param inner - a sink every call is forwarded to, after it is recorded. */
  constructor(inner?: InvalidationSink<AgentId>) {
    this.#inner = inner;
  }

  /** Records `invalidate(id)`, then forwards it. */
  invalidate(id: AgentId): unknown {
    this.events.push({ type: 'invalidate', id });
    return this.#inner?.invalidate(id);
  }

  /** Records `clear()`, then forwards it. */
  clear(): unknown {
    this.events.push({ type: 'clear' });
    return this.#inner?.clear();
  }

  /** How many calls of `type` were recorded. */
  count(type: SinkEvent['type']): number {
    return this.events.filter((event) => event.type === type).length;
  }

  /** The ids invalidated, in order. */
  invalidated(): AgentId[] {
    return this.events.flatMap((event) => (event.type === 'invalidate' ? [event.id] : []));
  }
}
