/** Cumulative counters of an invalidation subscriber, since construction; the same for every transport. */
export interface SubscriberStats {
  /** Connections established (subscribed), the first included. */
  readonly connects: number;
  /** Connections established after a lost one. */
  readonly reconnects: number;
  /** Established connections that were lost. */
  readonly disconnections: number;
  /** Connection attempts that failed or passed their deadline. */
  readonly failedAttempts: number;
  /** Events read and applied: invalidations, clears, malformed ones and gaps. */
  readonly events: number;
  /** Invalidations applied. */
  readonly invalidations: number;
  /** Times every sink was cleared, whatever the cause; see {@link SubscriberStats.clearCauses}. */
  readonly clears: number;
  /**
   * {@link SubscriberStats.clears} by cause: `'start'` (the first connection),
   * `'reconnect'` (a reconnect that could not prove no event was missed),
   * `'published'` (a publisher asked for it), `'malformed'`, or a transport's
   * own cause for a gap it detected (`'trimmed'`, `'sequence-restart'`, …).
   */
  readonly clearCauses: Readonly<Record<string, number>>;
  /** Events that were not invalidations; each one cleared every sink. */
  readonly malformed: number;
  /** Sink calls that threw, rejected or timed out; each such sink was cleared. */
  readonly sinkErrors: number;
  /** Errors handed to `onError`. */
  readonly errors: number;
}

/** The mutable counters behind {@link SubscriberStats}. */
export class SubscriberStatsCounter {
  connects = 0;
  reconnects = 0;
  disconnections = 0;
  failedAttempts = 0;
  events = 0;
  invalidations = 0;
  clears = 0;
  readonly clearCauses = new Map<string, number>();
  malformed = 0;
  errors = 0;

  /** Counts one clear of every sink, for `cause`. */
  cleared(cause: string): void {
    this.clears++;
    this.clearCauses.set(cause, (this.clearCauses.get(cause) ?? 0) + 1);
  }

  /** A copy, safe to hand out. */
  snapshot(sinkErrors: number): SubscriberStats {
    return {
      connects: this.connects,
      reconnects: this.reconnects,
      disconnections: this.disconnections,
      failedAttempts: this.failedAttempts,
      events: this.events,
      invalidations: this.invalidations,
      clears: this.clears,
      clearCauses: Object.fromEntries(this.clearCauses),
      malformed: this.malformed,
      sinkErrors,
      errors: this.errors,
    };
  }
}
