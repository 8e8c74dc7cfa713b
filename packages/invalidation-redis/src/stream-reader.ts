import { Redis } from 'ioredis';
import { endConnection } from './connection-end.js';
import { parseStreamInfo, type StreamInfo } from './stream-info.js';
import type { StreamReaderSettings } from './subscriber-options.js';

/** One entry as `XREAD` returns it: its id and its flat field/value list. */
export interface StreamEntry {
  readonly id: string;
  readonly fields: readonly unknown[];
}

/** What one {@link StreamReader.read} returns. */
export interface StreamBatch {
  /** The entries after the position, oldest first; empty when the block timed out. */
  readonly entries: readonly StreamEntry[];
  /** The stream as it was just after the read (`undefined`: no such key). */
  readonly info: StreamInfo | undefined;
}

/**
 * One dedicated connection of a subscriber, used for one connection attempt
 * and thrown away when it fails: blocking reads need a connection of their own,
 * and a fresh one per attempt means no command from a dead connection is ever
 * replayed on a new one behind the subscriber's back.
 *
 * ioredis's own reconnection is off here (`retryStrategy` returns `null`): when
 * the socket closes, every pending command rejects at once, and the subscriber
 * decides when to reconnect and where to resume.
 */
export class StreamReader {
  readonly #options: StreamReaderSettings;
  readonly #connection: Redis;
  #ended: Promise<void> | undefined;

  constructor(options: StreamReaderSettings) {
    this.#options = options;
    this.#connection = new Redis(options.url, {
      ...options.redisOptions,
      keyPrefix: '',
      lazyConnect: true,
      connectionName: options.connectionName,
      connectTimeout: options.connectTimeoutMs,
      retryStrategy: () => null,
      maxRetriesPerRequest: null,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      enableAutoPipelining: false,
      // A socket that does not close within this after `disconnect()` (a dead
      // peer never answers the FIN) is destroyed, so a reconnect is not held up.
      disconnectTimeout: 250,
    });
    // Every failure also rejects the pending command, which is where it is
    // handled; without a listener, ioredis would print it to the console.
    this.#connection.on('error', () => {});
  }

  /** Opens the connection; rejects with the driver's error when it cannot. */
  async connect(): Promise<void> {
    await this.#connection.connect();
  }

  /** The stream's current state, `undefined` when the key does not exist. */
  async info(): Promise<StreamInfo | undefined> {
    try {
      return toStreamInfo(await this.#connection.xinfo('STREAM', this.#options.key));
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw error;
    }
  }

  /**
   * Waits up to `blockMs` for entries after `lastId` (`XREAD BLOCK`), then reads
   * the stream's state (`XINFO STREAM`) in the same round trip: the server runs
   * the second command only once the first returns, so the info describes the
   * stream just after the read, which is what gap detection needs.
   *
   * @throws when the connection fails. The subscriber bounds the wait: a reply
   *   that has not come within `blockMs + connectTimeoutMs` means a dead peer.
   */
  async read(lastId: string): Promise<StreamBatch> {
    const { key, batchSize, blockMs } = this.#options;
    const pipeline = this.#connection
      .pipeline()
      .xread('COUNT', batchSize, 'BLOCK', blockMs, 'STREAMS', key, lastId)
      .xinfo('STREAM', key);
    const results = await pipeline.exec();
    if (results === null) throw new Error('Redis discarded the XREAD pipeline');
    const [read, info] = results;
    if (read === undefined || info === undefined) throw new Error('XREAD pipeline lost a reply');
    if (read[0] !== null) throw read[0];
    let streamInfo: StreamInfo | undefined;
    if (info[0] === null) streamInfo = toStreamInfo(info[1]);
    else if (!isNoSuchKey(info[0])) throw info[0];
    return { entries: toEntries(read[1]), info: streamInfo };
  }

  /**
   * Closes the connection at once (a blocked read does not delay it) and
   * resolves when ioredis has let go of it, timers included.
   */
  disconnect(): Promise<void> {
    // Once only: `close()` and the read loop may both ask, and a second
    // `disconnect()` on a socket already closing would arm a timer of its own.
    this.#ended ??= endConnection(this.#connection, false);
    return this.#ended;
  }
}

function isNoSuchKey(error: unknown): boolean {
  return error instanceof Error && /no such key/i.test(error.message);
}

function toStreamInfo(reply: unknown): StreamInfo {
  const info = parseStreamInfo(reply);
  if (info === undefined) throw new Error('unexpected XINFO STREAM reply');
  return info;
}

/** `XREAD`'s `[[key, [[id, fields], …]]]`, or `null` when the block timed out. */
function toEntries(reply: unknown): StreamEntry[] {
  if (reply === null) return [];
  const stream = Array.isArray(reply) ? reply[0] : undefined;
  const entries = Array.isArray(stream) ? stream[1] : undefined;
  if (!Array.isArray(entries)) throw new Error('unexpected XREAD reply');
  return entries.map((entry: unknown) => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') {
      throw new Error('unexpected XREAD entry');
    }
    // No field list is malformed downstream, which clears the sinks.
    return { id: entry[0], fields: Array.isArray(entry[1]) ? entry[1] : [] };
  });
}
