import { AgentId, OrgId, SYSTEM_ORG_ID } from '@aa/core';
import { describe, expect, it } from 'vitest';
import { policyKeys } from '../src/index.js';

const AGENT = AgentId.parse('6F9619FF-8B86-D011-B42D-00CF4FC964FF');
const ORG = OrgId.parse('0f8fad5b-d9cb-469f-a165-70867728950e');

describe('policyKeys()', () => {
  it("puts the system org's document at upstream's key: aa:policy:<32 lowercase hex>", () => {
    expect(policyKeys(SYSTEM_ORG_ID, AGENT).value).toBe(
      'aa:policy:6f9619ff8b86d011b42d00cf4fc964ff',
    );
  });

  it("puts a tenant's at aa:policy:<org>:<agent>, never at the tenant-less key", () => {
    expect(policyKeys(ORG, AGENT).value).toBe(
      'aa:policy:0f8fad5bd9cb469fa16570867728950e:6f9619ff8b86d011b42d00cf4fc964ff',
    );
  });

  it("keeps the generation and the tenant set outside upstream's aa:policy: keys", () => {
    const keys = policyKeys(ORG, AGENT);
    expect(keys.agentGeneration).toBe('aa:policy-generation:6f9619ff8b86d011b42d00cf4fc964ff');
    expect(keys.agentTenants).toBe('aa:policy-tenants:6f9619ff8b86d011b42d00cf4fc964ff');
    expect(keys.agentGeneration.startsWith('aa:policy:')).toBe(false);
    expect(keys.agentTenants.startsWith('aa:policy:')).toBe(false);
  });
});
