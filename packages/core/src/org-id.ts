import { type UuidIdCodec, uuidIdCodec } from './uuid-id.js';

declare const orgIdBrand: unique symbol;

/**
 * A tenant's identity (upstream's `orgs.id`): a UUID held as its canonical
 * lowercase text, so that equal ids are `===` and work as `Map` keys. Parsed
 * and compared like an `AgentId`, and branded apart from it.
 *
 * An org id must come from what the caller verified (a token's claim), never
 * from request input: it is what keeps one tenant's policies from another.
 */
export type OrgId = string & { readonly [orgIdBrand]: true };

/**
 * Builds and reads {@link OrgId}s.
 *
 * @example
 * const org = OrgId.parse(claims.org_id);
 * org === SYSTEM_ORG_ID; // false for any real tenant
 */
export const OrgId: UuidIdCodec<OrgId> = /* @__PURE__ */ uuidIdCodec<OrgId>('OrgId');

/**
 * The reserved system org, the nil UUID: upstream files every row written
 * without a verified tenant under it, and its tenant-less reads
 * (`getPolicy(agentId)`) are scoped to it. No real customer is ever assigned it.
 */
export const SYSTEM_ORG_ID: OrgId = /* @__PURE__ */ OrgId.parse(
  '00000000-0000-0000-0000-000000000000',
);
