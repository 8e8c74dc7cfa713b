import type { AgentId, InvalidationSink } from '@aa/core';

/** One call a {@link RecordingSink} received. */
export type SinkCall = readonly ['invalidate', AgentId] | readonly ['clear'];

/** A sink that records every call, in order. */
export class RecordingSink implements InvalidationSink<AgentId> {
  readonly calls: SinkCall[] = [];

  invalidate(key: AgentId): void {
    this.calls.push(['invalidate', key]);
  }

  clear(): void {
    this.calls.push(['clear']);
  }

  /** How many `clear()` calls were received. */
  get clears(): number {
    return this.calls.filter((call) => call[0] === 'clear').length;
  }
}
