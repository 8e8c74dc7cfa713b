import {
  CLEAR_CAUSES,
  type ConnectContext,
  type Continuity,
  type InvalidationTransport,
  type TransportConnection,
  type TransportEvent,
} from '@aa/invalidation';
import { detectGap } from './gap-detection.js';
import { decodeInvalidationEvent } from './invalidation-event.js';
import { STREAM_START_ID } from './stream-id.js';
import type { StreamInfo } from './stream-info.js';
import { type StreamEntry, StreamReader } from './stream-reader.js';
import type { StreamReaderSettings } from './subscriber-options.js';

/**
 * Redis Streams as an invalidation transport. Its position is the id of the
 * last entry applied; each connection is a fresh dedicated {@link StreamReader}
 * that resumes after it with `XREAD`, and checks with `XINFO STREAM`, on
 * connecting and along with every read, that nothing after it is gone (see
 * `detectGap`): a gap is a clear with the gap's reason as its cause.
 */
export class RedisStreamTransport implements InvalidationTransport<string> {
  /** The transport's name in errors, diagnostics and stats. */
  readonly name = 'redis-streams';
  readonly #settings: StreamReaderSettings;

  /** @param settings - where the stream is and how to read it. */
  constructor(settings: StreamReaderSettings) {
    this.#settings = settings;
  }

  /** The stream's key. */
  get target(): string {
    return this.#settings.key;
  }

  /** Connects, then fixes where reading starts; see {@link Continuity}. */
  async connect(context: ConnectContext<string>): Promise<TransportConnection<string>> {
    const reader = new StreamReader(this.#settings);
    const abandon = (): void => void reader.disconnect();
    context.signal.addEventListener('abort', abandon, { once: true });
    try {
      await reader.connect();
      const info = await reader.info();
      return new StreamConnection(reader, startingPoint(info, context.position));
    } catch (error) {
      await reader.disconnect();
      throw error;
    } finally {
      context.signal.removeEventListener('abort', abandon);
    }
  }
}

/** Where a new connection starts, and whether it can prove it missed nothing. */
function startingPoint(
  info: StreamInfo | undefined,
  position: string | undefined,
): { readonly lastId: string; readonly continuity: Continuity<string> } {
  if (position === undefined) {
    // `startId: '$'`: from the stream's newest id, clearing whatever came before.
    const lastId = info?.lastGeneratedId ?? STREAM_START_ID;
    return { lastId, continuity: { proven: false, cause: CLEAR_CAUSES.start, resumeFrom: lastId } };
  }
  const verdict = detectGap(info, position);
  if (!verdict.gap) return { lastId: position, continuity: { proven: true } };
  return {
    lastId: verdict.resumeFrom,
    continuity: { proven: false, cause: verdict.reason, resumeFrom: verdict.resumeFrom },
  };
}

/** One connection's reads, from its own copy of the position. */
class StreamConnection implements TransportConnection<string> {
  readonly continuity: Continuity<string>;
  readonly #reader: StreamReader;
  #lastId: string;

  constructor(
    reader: StreamReader,
    start: { readonly lastId: string; readonly continuity: Continuity<string> },
  ) {
    this.#reader = reader;
    this.#lastId = start.lastId;
    this.continuity = start.continuity;
  }

  async read(): Promise<readonly TransportEvent<string>[]> {
    const { entries, info } = await this.#reader.read(this.#lastId);
    // `info` was read after the entries: if anything between the position and
    // the first of them is gone, they are not the next events, so applying them
    // would skip some. The clear covers them all instead.
    const verdict = detectGap(info, this.#lastId);
    if (verdict.gap) {
      this.#lastId = verdict.resumeFrom;
      return [{ kind: 'gap', cause: verdict.reason, position: verdict.resumeFrom }];
    }
    const events = entries.map(toEvent);
    const last = entries.at(-1);
    if (last !== undefined) this.#lastId = last.id;
    return events;
  }

  close(): Promise<void> {
    return this.#reader.disconnect();
  }
}

function toEvent(entry: StreamEntry): TransportEvent<string> {
  const event = decodeInvalidationEvent(entry.fields);
  if (typeof event === 'string') {
    return { kind: 'malformed', detail: `entry ${entry.id}: ${event}`, position: entry.id };
  }
  return event.kind === 'invalidate'
    ? { kind: 'invalidate', agentId: event.agentId, position: entry.id }
    : { kind: 'clear', position: entry.id };
}
