import type { AgentId, InvalidationSink } from '@aa/core';

/** One call a {@link RecordingSink} received. */
export type SinkEvent =
  | { readonly type: 'invalidate'; readonly id: AgentId }
  | { readonly type: 'clear' };

/** An `InvalidationSink` that records every call, then forwards it to `inner` if given. */
export class RecordingSink implements InvalidationSink<AgentId> {
  readonly events: SinkEvent[] = [];
  readonly #inner: InvalidationSink<AgentId> | undefined;

  constructor(inner?: InvalidationSink<AgentId>) {
    this.#inner = inner;
  }

  invalidate(id: AgentId): void {
    this.events.push({ type: 'invalidate', id });
    this.#inner?.invalidate(id);
  }

  clear(): void {
    this.events.push({ type: 'clear' });
    this.#inner?.clear();
  }

  /** How many calls of `type` were recorded. */
  count(type: SinkEvent['type']): number {
    return this.events.filter((event) => event.type === type).length;
  }
}
