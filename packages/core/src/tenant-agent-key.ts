import type { AgentId } from './agent-id.js';
import { describeValue } from './describe-value.js';
import { InvalidIdError } from './invalid-id-error.js';
import type { OrgId } from './org-id.js';

declare const tenantAgentKeyBrand: unique symbol;

/**
 * One (tenant, agent) pair as a single value: `<org id>/<agent id>`, both in
 * canonical UUID text. Equal pairs are `===`, so it keys a `Map` or an
 * `L1Cache` directly, and one bounded cache can serve every tenant without a
 * tenant ever reaching another's entry. Branded: only
 * `TenantAgentKey.of()` makes one.
 */
export type TenantAgentKey = string & { readonly [tenantAgentKeyBrand]: true };

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const CANONICAL_UUID = new RegExp(`^${UUID}$`);
const CANONICAL_KEY = new RegExp(`^${UUID}/${UUID}$`);
const UUID_LENGTH = 36;

function checkKey(key: unknown): asserts key is TenantAgentKey {
  if (typeof key !== 'string' || !CANONICAL_KEY.test(key)) {
    throw new InvalidIdError(
      'TenantAgentKey',
      `Expected a TenantAgentKey made by TenantAgentKey.of(), got ${describeValue(key)}`,
    );
  }
}

function checkPart(part: unknown, typeName: 'OrgId' | 'AgentId', argument: string): void {
  if (typeof part !== 'string' || !CANONICAL_UUID.test(part)) {
    throw new InvalidIdError(
      'TenantAgentKey',
      `Expected \`${argument}\` to be a canonical ${typeName}, got ${describeValue(part)}`,
    );
  }
}

/**
 * Builds and reads {@link TenantAgentKey}s. Every function checks its input: a
 * malformed id or a forged key (a string cast to the type) is an
 * `InvalidIdError`, a `TypeError`, never a key that might name the wrong tenant.
 *
 * @example
 * const key = TenantAgentKey.of(verifiedOrg, AgentId.parse(request.agentId));
 * const policy = await policies.get(key);
 * TenantAgentKey.orgId(key) === verifiedOrg; // true
 */
export const TenantAgentKey = /* @__PURE__ */ Object.freeze({
  /**
   * The key of agent `agentId` under tenant `orgId`.
   * @throws {InvalidIdError} when either is not a canonical id of its type.
   */
  of(orgId: OrgId, agentId: AgentId): TenantAgentKey {
    checkPart(orgId, 'OrgId', 'orgId');
    checkPart(agentId, 'AgentId', 'agentId');
    return `${orgId}/${agentId}` as TenantAgentKey;
  },
  /**
   * The tenant of `key`.
   * @throws {InvalidIdError} when `key` was not made by `TenantAgentKey.of()`.
   */
  orgId(key: TenantAgentKey): OrgId {
    checkKey(key);
    return key.slice(0, UUID_LENGTH) as OrgId;
  },
  /**
   * The agent of `key`.
   * @throws {InvalidIdError} when `key` was not made by `TenantAgentKey.of()`.
   */
  agentId(key: TenantAgentKey): AgentId {
    checkKey(key);
    return key.slice(UUID_LENGTH + 1) as AgentId;
  },
  /** Whether `value` is a well-formed key, as `TenantAgentKey.of()` makes them. */
  is(value: unknown): value is TenantAgentKey {
    return typeof value === 'string' && CANONICAL_KEY.test(value);
  },
});
