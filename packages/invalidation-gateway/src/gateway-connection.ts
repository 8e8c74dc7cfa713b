import type * as http2 from 'node:http2';
import { AgentId, asError, isThenable } from '@aa/core';
import {
  type ConnectContext,
  type Continuity,
  INVALIDATION_ERROR_CODES,
  InvalidationError,
  type TransportConnection,
  type TransportEvent,
} from '@aa/invalidation';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { GATEWAY_CLEAR_CAUSES } from './clear-causes.js';
import { GATEWAY_ERROR_CODES, GatewayError, type GatewayErrorCode } from './gateway-error.js';
import type { GatewayApproval, ResolvedGatewayOptions } from './gateway-options.js';
import {
  Decision,
  type InvalidationEvent,
  InvalidationService,
  type SubscribeRequestSchema,
} from './generated/invalidation_pb.js';
import { RequestQueue } from './request-queue.js';
import { sequenceGap } from './sequence.js';
import { TappedSessionManager } from './tapped-session-manager.js';

type Request = MessageInitShape<typeof SubscribeRequestSchema>;

/**
 * The longest message read from the gateway: gRPC's usual default receive
 * limit. An event is a few dozen bytes; without a limit Connect would buffer
 * whatever length a frame claims (up to 4 GiB), and every event after a frame
 * that claims more than is ever sent would vanish into it, unread, while the
 * PINGs kept proving the connection alive.
 */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * A message from the gateway that could not be read (not protobuf, longer than
 * {@link MAX_MESSAGE_BYTES}, cut short). It stands in the inbox where its event
 * would have been: it may have been an invalidation, so it is malformed input
 * (counted, reported, cleared), not merely a lost connection, which a replay
 * of the same bytes would turn into a reconnect loop that never clears.
 */
class UnreadableMessage {
  constructor(readonly detail: string) {}
}

/** The gateway's answers that are more than "unavailable, retry". */
const ANSWERED: Readonly<Partial<Record<Code, GatewayErrorCode>>> = {
  [Code.Unauthenticated]: GATEWAY_ERROR_CODES.Unauthenticated,
  [Code.PermissionDenied]: GATEWAY_ERROR_CODES.PermissionDenied,
  [Code.InvalidArgument]: GATEWAY_ERROR_CODES.Rejected,
};

const DECISIONS: Readonly<Record<Decision, GatewayApproval['decision']>> = {
  [Decision.DECISION_UNSPECIFIED]: 'unspecified',
  [Decision.APPROVED]: 'approved',
  [Decision.DENIED]: 'denied',
  [Decision.PENDING]: 'pending',
};

/**
 * One `Subscribe` stream to the gateway: the initial request, the events as
 * they arrive, an ack per applied event, and the proof of liveness each read
 * owes the subscriber (an HTTP/2 PING answered).
 */
export class GatewayConnection implements TransportConnection<number> {
  readonly #options: ResolvedGatewayOptions;
  readonly #context: ConnectContext<number>;
  readonly #abort = new AbortController();
  readonly #requests = new RequestQueue<Request>();
  readonly #manager: TappedSessionManager;
  readonly #inbox: (InvalidationEvent | UnreadableMessage)[] = [];
  readonly #listeners = new Set<() => void>();
  /**
   * One entry per event handed out with a position, in order: its approval,
   * if it is one. `applied()` is told of those events in the same order, so
   * it takes the head. Not a map by seq: two events may share a number (a
   * restarted numbering), and each approval is handed on once, in order.
   */
  readonly #approvals: (GatewayApproval | undefined)[] = [];
  readonly #pump: Promise<void>;
  #continuity: Continuity<number> = { proven: false };
  #headers = false;
  #failure: Error | undefined;
  /** The last sequence number read; `undefined` until one sets the numbering after a clear. */
  #last: number | undefined;
  readonly #onContextAbort = (): void => this.#fail(this.#context.signal.reason);

  constructor(options: ResolvedGatewayOptions, context: ConnectContext<number>) {
    this.#options = options;
    this.#context = context;
    this.#manager = new TappedSessionManager(options, context.timeoutMs);
    context.signal.addEventListener('abort', this.#onContextAbort, { once: true });
    const client = createClient(
      InvalidationService,
      createGrpcTransport({
        baseUrl: options.url.href,
        sessionManager: this.#manager,
        readMaxBytes: MAX_MESSAGE_BYTES,
      }),
    );
    this.#requests.push({
      assemblyId: options.assemblyId,
      kind: { case: 'initial', value: { lastSeqSeen: BigInt(context.position ?? 0) } },
    });
    const events = client.subscribe(this.#requests, {
      signal: this.#abort.signal,
      headers: options.headers,
      onHeader: (headers) => {
        // A trailers-only answer (an error, e.g. wrong credentials) carries its
        // status in the headers: that stream was never open.
        if (!headers.has('grpc-status')) this.#headers = true;
        this.#wakeUp();
      },
    });
    this.#pump = this.#run(events);
    if (context.signal.aborted) this.#onContextAbort();
  }

  get continuity(): Continuity<number> {
    return this.#continuity;
  }

  /**
   * Resolves once the gateway has taken the subscription (the stream's headers,
   * sent after it registered the subscriber) and, on a resume, once the replay
   * has shown whether the numbering goes on from `position`: its first event
   * is `position + 1` (proven), or another number, or there is no replay
   * (not proven, and the subscriber clears).
   */
  async opened(): Promise<void> {
    await this.#until(() => this.#headers || this.#inbox.length > 0);
    const { position, reconnect } = this.#context;
    // The first subscription proves nothing: the subscriber clears ('start').
    if (position === undefined && !reconnect) return;
    // No event applied yet: `last_seq_seen` 0 asked for the numbering from 1.
    const last = position ?? 0;
    const first = await this.#firstReplayed();
    const cause =
      first === undefined ? GATEWAY_CLEAR_CAUSES.unprovenResume : sequenceGap(last, first);
    if (cause === undefined) {
      this.#continuity = { proven: true };
      this.#last = last;
    } else {
      this.#continuity = { proven: false, cause };
    }
  }

  async read(signal: AbortSignal): Promise<readonly TransportEvent<number>[]> {
    if (this.#inbox.length > 0) return this.#drain();
    if (this.#failure !== undefined) throw this.#failure;
    const { scheduler, heartbeatIntervalMs } = this.#context;
    // Half the interval for the PING's round trip: an answered PING proves
    // the gateway's end of the connection alive; an unanswered one leaves the
    // read pending until the subscriber's read deadline gives up on it.
    let alive = false;
    const timer = scheduler.setTimeout(
      () =>
        this.#ping(() => {
          alive = true;
          this.#wakeUp();
        }),
      Math.floor(heartbeatIntervalMs / 2),
    );
    try {
      await this.#until(() => this.#inbox.length > 0 || alive, { signal });
    } finally {
      scheduler.clearTimeout(timer);
    }
    return this.#drain();
  }

  applied(seq: number): void {
    this.#requests.push({
      assemblyId: this.#options.assemblyId,
      kind: { case: 'ack', value: { seq: BigInt(seq) } },
    });
    const approval = this.#approvals.shift();
    if (approval !== undefined) this.#approve(approval);
  }

  async close(): Promise<void> {
    this.#context.signal.removeEventListener('abort', this.#onContextAbort);
    this.#requests.end();
    this.#manager.abort();
    this.#fail(new GatewayError(GATEWAY_ERROR_CODES.StreamEnded, 'the connection was closed'));
    await this.#pump;
  }

  async #run(events: AsyncIterable<InvalidationEvent>): Promise<void> {
    try {
      for await (const event of events) {
        this.#inbox.push(event);
        this.#wakeUp();
      }
      this.#fail(
        new GatewayError(
          GATEWAY_ERROR_CODES.StreamEnded,
          `the gateway at ${this.#options.url.host} ended the stream`,
        ),
      );
    } catch (error) {
      const failure = this.#describeFailure(error);
      if (this.#failure === undefined && isUnreadableMessage(error)) {
        this.#inbox.push(new UnreadableMessage(failure.message));
      }
      this.#fail(failure);
    }
  }

  /** Turns the events read so far into the subscriber's, checking the numbering. */
  #drain(): TransportEvent<number>[] {
    const out: TransportEvent<number>[] = [];
    for (const event of this.#inbox.splice(0)) {
      if (event instanceof UnreadableMessage) {
        out.push({ kind: 'malformed', detail: event.detail });
        continue;
      }
      const seq = seqOf(event);
      if (seq === undefined) {
        out.push({ kind: 'malformed', detail: `sequence number ${event.seq} is out of range` });
        continue;
      }
      const gap = sequenceGap(this.#last, seq);
      if (gap !== undefined) out.push({ kind: 'gap', cause: gap });
      this.#last = seq;
      out.push(translate(event, seq));
      const { payload } = event;
      this.#approvals.push(
        payload.case === 'approvalResolved'
          ? {
              requestId: payload.value.requestId,
              decision: DECISIONS[payload.value.decision] ?? 'unspecified',
              seq,
            }
          : undefined,
      );
    }
    return out;
  }

  #approve(approval: GatewayApproval): void {
    const { onApproval } = this.#options;
    if (onApproval === undefined) return;
    const failed = (cause: unknown): void =>
      this.#context.report(
        new InvalidationError(
          INVALIDATION_ERROR_CODES.Sink,
          `onApproval failed for approval ${JSON.stringify(approval.requestId)} (event ${approval.seq}); the stream goes on`,
          { cause },
        ),
      );
    try {
      const result: unknown = onApproval(approval);
      if (isThenable(result)) result.then(undefined, failed);
    } catch (error) {
      failed(error);
    }
  }

  /**
   * The sequence number of the replay's first event, or `undefined` when the
   * gateway replays nothing. The gateway writes its replay as it takes the
   * subscription, with the headers; frames it sent before it read a PING reach
   * us before its answer to it (one connection, in order). So once a PING sent
   * after the headers is answered and no event has come, none is coming: this
   * needs no timer, and holds under any scheduler. `resumeGraceMs` bounds the
   * wait when the answer is slow (no replay is presumed then: a clear, never a
   * loss).
   */
  async #firstReplayed(): Promise<number | undefined> {
    // An unreadable first message proves nothing: undefined, as no replay.
    const first = (): number | undefined => {
      const head = this.#inbox[0];
      return head === undefined || head instanceof UnreadableMessage
        ? undefined
        : (seqOf(head) ?? 0);
    };
    if (this.#inbox.length > 0) return first();
    let answered = false;
    // An event that came with the answer is still being decoded (Connect's
    // stream is async): one turn of the event loop lets it reach the inbox.
    this.#ping(() =>
      setImmediate(() => {
        answered = true;
        this.#wakeUp();
      }),
    );
    const settled = await this.#until(() => this.#inbox.length > 0 || answered, {
      timeoutMs: this.#options.resumeGraceMs,
    });
    return settled ? first() : undefined;
  }

  #ping(answered: () => void): void {
    const session: http2.ClientHttp2Session | undefined = this.#manager.session;
    try {
      session?.ping((error) => {
        if (error === null) answered();
      });
    } catch {
      // A session closing under the PING: the stream's own failure follows.
    }
  }

  /**
   * Waits until `ready()` holds (`true`), `timeoutMs` passes (`false`), or the
   * stream fails or `signal` aborts (rejects with why). `ready()` is asked
   * again whenever the inbox, the stream or a PING moves ({@link #wakeUp}).
   */
  #until(
    ready: () => boolean,
    { timeoutMs, signal }: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {},
  ): Promise<boolean> {
    const { scheduler } = this.#context;
    return new Promise((resolve, reject) => {
      const finish = (settle: () => void): void => {
        if (timer !== undefined) scheduler.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#listeners.delete(check);
        settle();
      };
      const check = (): void => {
        if (ready()) finish(() => resolve(true));
        else if (this.#failure !== undefined) finish(() => reject(this.#failure));
        else this.#listeners.add(check);
      };
      const onAbort = (): void => finish(() => reject(signal?.reason));
      const timer =
        timeoutMs === undefined
          ? undefined
          : scheduler.setTimeout(() => finish(() => resolve(false)), timeoutMs);
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }

  #fail(error: unknown): void {
    this.#failure ??= asError(error);
    this.#abort.abort();
    this.#wakeUp();
  }

  #wakeUp(): void {
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener();
  }

  #describeFailure(error: unknown): Error {
    if (this.#failure !== undefined) return this.#failure;
    const connectError = ConnectError.from(error);
    const { host } = this.#options.url;
    // Only a status the gateway sent is its answer: Connect's own errors (a
    // frame it could not read, a reset stream, TLS) reuse the codes, and an
    // INVALID_ARGUMENT of its own ("incomplete envelope") is no rejection.
    if (!connectError.isWireError) {
      return new GatewayError(
        GATEWAY_ERROR_CODES.Unavailable,
        `the stream from the gateway at ${host} failed (${Code[connectError.code]}): ${connectError.rawMessage}`,
        { cause: error },
      );
    }
    return new GatewayError(
      ANSWERED[connectError.code] ?? GATEWAY_ERROR_CODES.Unavailable,
      `the gateway at ${host} answered ${Code[connectError.code]}: ${connectError.rawMessage}`,
      { cause: error, grpcStatus: connectError.code },
    );
  }
}

/**
 * Whether Connect ended the stream on a message from the gateway it could not
 * read: not protobuf (`parse binary`), longer than `readMaxBytes`, or cut short
 * by the end of the stream (`incomplete envelope`). Connect's own errors only
 * (a status the gateway sent is its answer, not a message); their messages are
 * matched because Connect gives them no other mark (its version is pinned, and
 * a test sends each).
 */
function isUnreadableMessage(error: unknown): boolean {
  if (!(error instanceof ConnectError) || error.isWireError) return false;
  const message = error.rawMessage;
  switch (error.code) {
    case Code.Internal:
      return message.startsWith('parse binary');
    case Code.ResourceExhausted:
      return message.includes('readMaxBytes');
    case Code.InvalidArgument:
      return message.includes('incomplete envelope');
    default:
      return false;
  }
}

/** The subscriber's event for one numbered event from the gateway. */
function translate(event: InvalidationEvent, seq: number): TransportEvent<number> {
  const { payload } = event;
  switch (payload.case) {
    case 'policyInvalidated': {
      const text = payload.value.agentId;
      if (text === '') return { kind: 'clear', position: seq };
      // The gateway writes canonical UUIDs; anything else is not guessed at.
      const agentId = AgentId.schema.safeParse(text);
      return agentId.success
        ? { kind: 'invalidate', agentId: agentId.data, position: seq }
        : {
            kind: 'malformed',
            detail: `event ${seq}: agent_id ${JSON.stringify(text.slice(0, 64))} is not a UUID`,
            position: seq,
          };
    }
    case 'approvalResolved':
      // Handed to onApproval once applied (see #approvals), never to a sink.
      return { kind: 'skip', position: seq };
    default:
      return {
        kind: 'malformed',
        detail: `event ${seq} has no payload this client knows (a newer gateway?)`,
        position: seq,
      };
  }
}

function seqOf(event: InvalidationEvent): number | undefined {
  const seq = event.seq;
  return seq >= 1n && seq <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seq) : undefined;
}
