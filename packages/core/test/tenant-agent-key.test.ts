import { describe, expect, it } from 'vitest';
import { AgentId, isInvalidIdError, OrgId, SYSTEM_ORG_ID, TenantAgentKey } from '../src/index.js';

const ORG = OrgId.parse('0F8FAD5B-D9CB-469F-A165-70867728950E');
const OTHER_ORG = OrgId.parse('7c9e6679-7425-40de-944b-e07fc1f90ae7');
const AGENT = AgentId.parse('6f9619ff-8b86-d011-b42d-00cf4fc964ff');

/** The error `call` throws; fails the test if it returns. */
function thrownBy(call: () => unknown): Error {
  try {
    call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('OrgId', () => {
  it('parses UUID text in any case to its canonical lowercase form', () => {
    expect(ORG).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(OrgId.is(ORG)).toBe(true);
  });

  it('has the nil UUID as the system org', () => {
    expect(SYSTEM_ORG_ID).toBe('00000000-0000-0000-0000-000000000000');
    expect(OrgId.is(SYSTEM_ORG_ID)).toBe(true);
  });

  it('refuses anything but UUID text with an InvalidIdError naming OrgId', () => {
    const error = thrownBy(() => OrgId.parse('acme'));
    expect(isInvalidIdError(error)).toBe(true);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^Expected OrgId text to be a UUID/);
  });
});

describe('TenantAgentKey', () => {
  it('is one === value per (tenant, agent), usable as a Map key', () => {
    const key = TenantAgentKey.of(ORG, AGENT);
    expect(TenantAgentKey.of(OrgId.parse(ORG.toUpperCase()), AGENT)).toBe(key);
    const map = new Map([[key, 'policy']]);
    expect(map.get(TenantAgentKey.of(ORG, AGENT))).toBe('policy');
    expect(map.get(TenantAgentKey.of(OTHER_ORG, AGENT))).toBeUndefined();
  });

  it('gives back the tenant and the agent it was made of', () => {
    const key = TenantAgentKey.of(ORG, AGENT);
    expect(TenantAgentKey.orgId(key)).toBe(ORG);
    expect(TenantAgentKey.agentId(key)).toBe(AGENT);
  });

  it('keeps the same agent under two tenants apart, and the same tenant with two agents', () => {
    const other = AgentId.parse('00000000-0000-0000-0000-000000000001');
    const keys = new Set([
      TenantAgentKey.of(ORG, AGENT),
      TenantAgentKey.of(OTHER_ORG, AGENT),
      TenantAgentKey.of(ORG, other),
      TenantAgentKey.of(SYSTEM_ORG_ID, AGENT),
    ]);
    expect(keys.size).toBe(4);
  });

  it('tells a key made by of() from anything else', () => {
    expect(TenantAgentKey.is(TenantAgentKey.of(ORG, AGENT))).toBe(true);
    expect(TenantAgentKey.is(`${AGENT}/${ORG}x`)).toBe(false);
    expect(TenantAgentKey.is(AGENT)).toBe(false);
    expect(TenantAgentKey.is(undefined)).toBe(false);
  });

  const malformedParts: [string, unknown][] = [
    ['upper-case UUID text (not canonical)', ORG.toUpperCase()],
    ['an empty string', ''],
    ['a UUID with a key separator appended', `${ORG}/`],
    ['a number', 7],
    ['null', null],
    ['an object', { toString: () => ORG }],
  ];

  it.each(malformedParts)('refuses %s as the org with a TypeError', (_label, org) => {
    const error = thrownBy(() => TenantAgentKey.of(org as OrgId, AGENT));
    expect(isInvalidIdError(error)).toBe(true);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('`orgId`');
  });

  it.each(malformedParts)('refuses %s as the agent with a TypeError', (_label, agent) => {
    const error = thrownBy(() => TenantAgentKey.of(ORG, agent as AgentId));
    expect(isInvalidIdError(error)).toBe(true);
    expect(error.message).toContain('`agentId`');
  });

  const forgedKeys: [string, unknown][] = [
    ['a bare agent id', AGENT],
    ['the parts joined by another separator', `${ORG}:${AGENT}`],
    ['the parts in upper case', `${ORG}/${AGENT}`.toUpperCase()],
    ['a key with a trailing newline', `${ORG}/${AGENT}\n`],
    ['a key with a third part', `${ORG}/${AGENT}/${AGENT}`],
    ['a String object', new String(`${ORG}/${AGENT}`)],
    ['undefined', undefined],
  ];

  it.each(forgedKeys)('refuses %s as a key, wherever one is read', (_label, forged) => {
    for (const read of [TenantAgentKey.orgId, TenantAgentKey.agentId]) {
      const error = thrownBy(() => read(forged as TenantAgentKey));
      expect(isInvalidIdError(error)).toBe(true);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/^Expected a TenantAgentKey made by TenantAgentKey\.of\(\)/);
    }
  });
});
