/** Cumulative counters of a {@link RedisInvalidationSubscriber}, since construction. */
export interface RedisSubscriberStats {
  /** Stream entries applied, malformed ones included. */
  readonly events: number;
  /** `publish(agentId)` entries applied. */
  readonly invalidations: number;
  /** `publishAll()` entries applied. */
  readonly clears: number;
  /** Gaps detected: each one cleared every sink. */
  readonly gaps: number;
  /** Entries that were not invalidation events: each one cleared every sink. */
  readonly malformed: number;
  /** Sink calls that threw or rejected. */
  readonly sinkErrors: number;
  /** Connections established after a lost one. */
  readonly reconnects: number;
}

/** The mutable counters behind {@link RedisSubscriberStats}. */
export class SubscriberStatsCounter {
  events = 0;
  invalidations = 0;
  clears = 0;
  gaps = 0;
  malformed = 0;
  sinkErrors = 0;
  reconnects = 0;

  /** A frozen-in-time copy, safe to hand out. */
  snapshot(): RedisSubscriberStats {
    return {
      events: this.events,
      invalidations: this.invalidations,
      clears: this.clears,
      gaps: this.gaps,
      malformed: this.malformed,
      sinkErrors: this.sinkErrors,
      reconnects: this.reconnects,
    };
  }
}
