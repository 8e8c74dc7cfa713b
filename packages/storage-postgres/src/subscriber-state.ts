/**
 * Where a `PgInvalidationSubscriber` is:
 * - `idle`: constructed, `start()` not called yet;
 * - `connecting`: opening a connection and issuing `LISTEN`;
 * - `listening`: `LISTEN` is active and the sink has been cleared;
 * - `backoff`: the connection dropped or an attempt failed; waiting to retry;
 * - `closed`: `close()` was called; final.
 */
export type SubscriberState = 'idle' | 'connecting' | 'listening' | 'backoff' | 'closed';

/** Cumulative counters of a `PgInvalidationSubscriber`. */
export interface SubscriberStats {
  /** Times `LISTEN` became active: 1 after `start()`, +1 per reconnect. */
  readonly connections: number;
  /** Connections lost while listening. */
  readonly disconnections: number;
  /** Connection attempts that failed before `LISTEN` was active. */
  readonly failedAttempts: number;
  /** Notifications received on the channel. */
  readonly notifications: number;
  /** Calls to `sink.invalidate(id)`. */
  readonly invalidations: number;
  /** Calls to `sink.clear()`: after each connection, and for empty or malformed payloads. */
  readonly clears: number;
  /** Notifications whose payload was neither empty nor an agent id. */
  readonly malformed: number;
  /** Errors reported (to `onError`, when set). */
  readonly errors: number;
}
