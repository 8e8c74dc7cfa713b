import type { AgentId, Scheduler } from '@aa/core';
import type { InvalidationError } from './invalidation-error.js';

/**
 * What an {@link InvalidationTransport} is given for one connection attempt.
 * @typeParam Position - where in the event stream a subscriber stands (a Redis
 *   entry id, a gateway sequence number); `never` for a transport without one.
 */
export interface ConnectContext<Position> {
  /** The position of the last event applied, `undefined` when there is none yet. */
  readonly position: Position | undefined;
  /** Whether an earlier connection of this subscriber was established. */
  readonly reconnect: boolean;
  /**
   * Aborted when the subscriber gives up on the connection (its deadline passed,
   * `close()`): release every socket and timer of it then.
   */
  readonly signal: AbortSignal;
  /** The subscriber's scheduler: every timer a transport sets goes through it. */
  readonly scheduler: Scheduler;
  /** How long an idle connection may go without proving it is alive; see {@link TransportConnection.read}. */
  readonly heartbeatIntervalMs: number;
  /** The deadline for one request's reply (a heartbeat query, a handshake step). */
  readonly timeoutMs: number;
  /**
   * Reports an error that does not end the connection (a callback of the
   * transport's own that threw, say) the way the subscriber reports its own:
   * to `onError`, counted in `stats().errors`. Never throws. Errors that end the
   * connection are not reported here: reject `connect()` or `read()` instead.
   */
  readonly report: (error: InvalidationError) => void;
}

/**
 * What a new connection can tell about the events between the subscriber's
 * position and its first read.
 * - `proven: true`: none can have been missed (the transport resumed after
 *   `position` and checked nothing after it is gone).
 * - `proven: false`: some may have been; the subscriber clears its sinks (with
 *   `cause`, or `'start'`/`'reconnect'` when none is given) and moves to
 *   `resumeFrom`, when given.
 */
export type Continuity<Position> =
  | { readonly proven: true }
  | {
      readonly proven: false;
      readonly cause?: string | undefined;
      readonly resumeFrom?: Position | undefined;
    };

/**
 * One event a transport read. After applying it the subscriber moves to its
 * `position`, when it has one.
 * - `invalidate`: `invalidate(agentId)` on every sink.
 * - `clear`: the publisher asked for a clear (`publishAll()`, an empty id).
 * - `malformed`: something that is not an invalidation arrived (`detail` says
 *   what); the subscriber reports it and clears rather than guesses.
 * - `gap`: continuity was lost mid-stream (a trimmed stream, a sequence that
 *   jumped); the subscriber clears with `cause`.
 * - `skip`: an event for none of the sinks (the gateway's `ApprovalResolved`);
 *   the subscriber only moves to its `position` and tells `applied()`, so the
 *   transport can act on it in order and acknowledge it.
 */
export type TransportEvent<Position> =
  | { readonly kind: 'invalidate'; readonly agentId: AgentId; readonly position?: Position }
  | { readonly kind: 'clear'; readonly position?: Position }
  | { readonly kind: 'malformed'; readonly detail: string; readonly position?: Position }
  | { readonly kind: 'gap'; readonly cause: string; readonly position?: Position }
  | { readonly kind: 'skip'; readonly position: Position };

/** One established connection of a transport, used until it fails and then closed. */
export interface TransportConnection<Position> {
  /** See {@link Continuity}. */
  readonly continuity: Continuity<Position>;
  /**
   * The next events, oldest first. Resolves within `heartbeatIntervalMs` of
   * being called, with no events if none came, once the connection has proven
   * it is alive (a blocking read that timed out on the server, a heartbeat
   * query answered). Rejects when the connection fails. The subscriber presumes
   * the connection dead when a read has not settled within
   * `heartbeatIntervalMs + timeoutMs`, and aborts `signal` then.
   */
  read(signal: AbortSignal): Promise<readonly TransportEvent<Position>[]>;
  /**
   * Told once an event with a position has reached every sink, in order (the
   * gateway acknowledges it). Must not throw.
   */
  applied?(position: Position): void;
  /** Closes the connection at once; must not throw. The subscriber bounds the wait. */
  close(): Promise<void>;
}

/**
 * A way of hearing about policy changes (Postgres LISTEN/NOTIFY, Redis Streams,
 * the Agent Assembly gateway's gRPC stream), reduced to what differs between
 * them: connect, read the next events, close. Everything else (lifecycle,
 * reconnecting, deadlines, the continuity rule, the sinks) is the
 * {@link InvalidationSubscriber}'s.
 */
export interface InvalidationTransport<Position> {
  /** The transport's name in errors, diagnostics and stats, e.g. `'redis-streams'`. */
  readonly name: string;
  /** What it listens to, for messages: a channel, a stream key, a URL. */
  readonly target: string;
  /**
   * Opens one connection and subscribes, after `context.position`. Rejects when
   * it cannot. The subscriber abandons (and aborts) an attempt that has not
   * resolved within `timeoutMs`, and closes its connection if it resolves later.
   */
  connect(context: ConnectContext<Position>): Promise<TransportConnection<Position>>;
}
