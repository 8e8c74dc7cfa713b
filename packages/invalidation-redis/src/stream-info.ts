import { isStreamId } from './stream-id.js';

/**
 * The parts of an `XINFO STREAM` reply that gap detection reads. The fields
 * Redis added in 7.0 are `undefined` on older servers.
 */
export interface StreamInfo {
  /** Entries currently kept. */
  readonly length: number;
  /** The id of the newest entry ever added, even if it has since been removed; `'0-0'` if none. */
  readonly lastGeneratedId: string;
  /** The id of the oldest entry still kept; `undefined` when the stream is empty. */
  readonly firstEntryId: string | undefined;
  /** Entries ever added (Redis ≥ 7.0). */
  readonly entriesAdded: number | undefined;
  /** The newest id removed by `XDEL` (Redis ≥ 7.0; trimming does not move it); `'0-0'` if none. */
  readonly maxDeletedEntryId: string | undefined;
}

/**
 * Reads the flat `[name, value, name, value, …]` reply of `XINFO STREAM key`.
 *
 * @returns the info, or `undefined` when the reply does not have the shape
 *   Redis gives it (the caller treats that as a failed read).
 */
export function parseStreamInfo(reply: unknown): StreamInfo | undefined {
  if (!Array.isArray(reply) || reply.length % 2 !== 0) return undefined;
  const fields = new Map<string, unknown>();
  for (let index = 0; index < reply.length; index += 2) {
    fields.set(String(reply[index]), reply[index + 1]);
  }
  const length = toCount(fields.get('length'));
  const lastGeneratedId = fields.get('last-generated-id');
  if (length === undefined || !isStreamId(lastGeneratedId)) return undefined;
  const firstEntry = fields.get('first-entry');
  const firstEntryId = Array.isArray(firstEntry) ? firstEntry[0] : undefined;
  if (length > 0 && !isStreamId(firstEntryId)) return undefined;
  const maxDeleted = fields.get('max-deleted-entry-id');
  return {
    length,
    lastGeneratedId,
    firstEntryId: length > 0 ? (firstEntryId as string) : undefined,
    entriesAdded: toCount(fields.get('entries-added')),
    maxDeletedEntryId: isStreamId(maxDeleted) ? maxDeleted : undefined,
  };
}

function toCount(value: unknown): number | undefined {
  const count = typeof value === 'string' ? Number(value) : value;
  return typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count : undefined;
}
