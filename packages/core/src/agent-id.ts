import { type UuidIdCodec, uuidIdCodec } from './uuid-id.js';

declare const agentIdBrand: unique symbol;

/**
 * An agent's identity: the 16 raw bytes of a UUID, held as the canonical
 * lowercase UUID text so that equal ids are `===` and work as `Map` keys.
 * Branded: a plain string or a {@link SessionId} is not an `AgentId`.
 */
export type AgentId = string & { readonly [agentIdBrand]: true };

/**
 * Builds and reads {@link AgentId}s.
 *
 * @example
 * const id = AgentId.parse('6F9619FF-8B86-D011-B42D-00CF4FC964FF');
 * id === '6f9619ff-8b86-d011-b42d-00cf4fc964ff'; // true
 * AgentId.fromBytes(new Uint8Array(16).fill(1)); // '01010101-0101-0101-0101-010101010101'
 */
export const AgentId: UuidIdCodec<AgentId> = /* @__PURE__ */ uuidIdCodec<AgentId>('AgentId');
