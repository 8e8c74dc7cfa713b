import { compareStreamIds, STREAM_START_ID } from './stream-id.js';
import type { StreamInfo } from './stream-info.js';

/** Why a subscriber concluded it may have missed events. */
export type GapReason =
  /** Entries newer than its position were trimmed away (`MAXLEN`) before it read them. */
  | 'trimmed'
  /** An entry newer than its position was removed with `XDEL` (seen on Redis ≥ 7.0). */
  | 'deleted'
  /** The stream key is gone (deleted, expired, evicted, a failover to an empty replica). */
  | 'stream-missing'
  /** The stream was deleted and re-created: its ids no longer extend the position. */
  | 'stream-reset';

/** What {@link detectGap} concluded. */
export type GapVerdict =
  | { readonly gap: false }
  | {
      readonly gap: true;
      readonly reason: GapReason;
      /**
       * Where to read on from once the sinks are cleared: every entry up to it
       * was written before the stream was inspected, hence before the clear.
       */
      readonly resumeFrom: string;
    };

const NO_GAP: GapVerdict = { gap: false };

/**
 * Decides whether a reader positioned at `lastId` (it has applied every entry up
 * to and including `lastId`, and nothing after) may have missed entries, from
 * `info`, read after the position was established (`undefined`: no such key).
 *
 * Redis trims a stream from its oldest end only, so if anything newer than
 * `lastId` was trimmed, so was everything older, including `lastId`'s own entry:
 * the oldest entry kept is then newer than `lastId`. The converse does not
 * hold, and the rule is conservative where it cannot tell:
 *
 * - oldest kept ≤ `lastId`: nothing after the position was trimmed (exact).
 * - oldest kept > `lastId = '0-0'`, and `entries-added` equals `length`
 *   (Redis ≥ 7.0): nothing was ever removed; the reader started before the
 *   stream existed. No gap. (For any other `lastId`, an untrimmed stream that
 *   lacks `lastId` was deleted and re-created: a gap.)
 * - oldest kept > `lastId` otherwise: a gap, although it may be that only
 *   `lastId`'s own entry went (the reader lagged by about `MAXLEN` entries), or
 *   that `lastId` was a position in an emptied stream rather than an entry, or
 *   (before Redis 7.0) that a reader at `'0-0'` saw a new stream. Each costs
 *   one unneeded clear, never a missed event.
 * - empty stream: a gap exactly when an entry newer than `lastId` was ever
 *   generated (`MAXLEN 0`, or `XDEL` of everything).
 * - missing key: a gap unless the reader never had a position (`'0-0'`).
 * - `lastId` newer than the stream's newest id: the stream was re-created.
 *   So it was when it lacks `lastId` yet never lost an entry (Redis ≥ 7.0).
 * - an `XDEL` newer than `lastId` (`max-deleted-entry-id`, Redis ≥ 7.0).
 *
 * Approximate trimming (`MAXLEN ~`) keeps whole radix-tree nodes, so more than
 * `MAXLEN` entries survive; it changes how far a reader may lag before a gap,
 * not this rule. Ids are compared numerically ({@link compareStreamIds}).
 */
export function detectGap(info: StreamInfo | undefined, lastId: string): GapVerdict {
  if (info === undefined) {
    return lastId === STREAM_START_ID
      ? NO_GAP
      : { gap: true, reason: 'stream-missing', resumeFrom: STREAM_START_ID };
  }
  const resumeFrom = info.lastGeneratedId;
  if (compareStreamIds(lastId, info.lastGeneratedId) > 0) {
    return { gap: true, reason: 'stream-reset', resumeFrom };
  }
  if (
    info.maxDeletedEntryId !== undefined &&
    compareStreamIds(info.maxDeletedEntryId, lastId) > 0
  ) {
    return { gap: true, reason: 'deleted', resumeFrom };
  }
  if (info.firstEntryId === undefined) {
    return compareStreamIds(info.lastGeneratedId, lastId) > 0
      ? { gap: true, reason: 'trimmed', resumeFrom }
      : NO_GAP;
  }
  if (compareStreamIds(info.firstEntryId, lastId) <= 0) return NO_GAP;
  if (info.entriesAdded !== undefined && info.entriesAdded === info.length) {
    // Nothing was ever removed. A reader that never had a position simply
    // started before the stream existed; for any other `lastId`, an untrimmed
    // stream without `lastId` in it is a deleted and re-created one.
    return lastId === STREAM_START_ID ? NO_GAP : { gap: true, reason: 'stream-reset', resumeFrom };
  }
  return { gap: true, reason: 'trimmed', resumeFrom };
}
