import { type UuidIdCodec, uuidIdCodec } from './uuid-id.js';

declare const sessionIdBrand: unique symbol;

/**
 * A session's identity: the 16 raw bytes of a UUID, held as the canonical
 * lowercase UUID text so that equal ids are `===` and work as `Map` keys.
 * Branded: a plain string or an {@link AgentId} is not a `SessionId`.
 */
export type SessionId = string & { readonly [sessionIdBrand]: true };

/**
 * Builds and reads {@link SessionId}s.
 *
 * @example
 * const id = SessionId.parse('6F9619FF-8B86-D011-B42D-00CF4FC964FF');
 * id === '6f9619ff-8b86-d011-b42d-00cf4fc964ff'; // true
 * SessionId.fromBytes(new Uint8Array(16).fill(1)); // '01010101-0101-0101-0101-010101010101'
 */
export const SessionId: UuidIdCodec<SessionId> =
  /* @__PURE__ */ uuidIdCodec<SessionId>('SessionId');
