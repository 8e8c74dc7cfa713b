import { type AgentId, type OrgId, SYSTEM_ORG_ID } from '@aa/core';

/** The prefix of every policy value: upstream's `aa:policy:`. */
export const POLICY_KEY_PREFIX = 'aa:policy:';

/** The keys the L2 keeps for one (tenant, agent) read. */
export interface PolicyKeys {
  /**
   * Where the document is: upstream's `aa:policy:<agent>` for the system org
   * (the only key upstream's tenant-less reader knows), and
   * `aa:policy:<org>:<agent>` for a tenant, the form upstream plans; each id as
   * 32 lowercase hex digits.
   */
  readonly value: string;
  /** The agent's generation, advanced by every invalidation of the agent. */
  readonly agentGeneration: string;
  /** The set of the agent's tenant value keys, so one invalidation finds them all. */
  readonly agentTenants: string;
}

/**
 * Advanced by `clear()`: a fill checks it with the agent's generation. Outside
 * `aa:policy:`, so upstream's readers never see it (as for the two keys below).
 */
export const GLOBAL_GENERATION_KEY = 'aa:policy-generation';
const AGENT_GENERATION_PREFIX = 'aa:policy-generation:';
const AGENT_TENANTS_PREFIX = 'aa:policy-tenants:';

/** A canonical UUID as upstream's key writes it: 32 lowercase hex digits. */
export function keyHex(id: string): string {
  return id.replaceAll('-', '');
}

/** The keys of agent `agentId`'s policy under tenant `orgId` (both canonical). */
export function policyKeys(orgId: OrgId, agentId: AgentId): PolicyKeys {
  const agent = keyHex(agentId);
  return {
    value:
      orgId === SYSTEM_ORG_ID
        ? `${POLICY_KEY_PREFIX}${agent}`
        : `${POLICY_KEY_PREFIX}${keyHex(orgId)}:${agent}`,
    agentGeneration: `${AGENT_GENERATION_PREFIX}${agent}`,
    agentTenants: `${AGENT_TENANTS_PREFIX}${agent}`,
  };
}
