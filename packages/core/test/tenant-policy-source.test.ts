import { describe, expect, it } from 'vitest';
import {
  AgentId,
  type InvalidationSink,
  isInvalidIdError,
  type OrgId,
  OrgId as OrgIds,
  type PolicyDocument,
  parsePolicyDocument,
  SYSTEM_ORG_ID,
  TenantAgentKey,
  tenantInvalidationSink,
  tenantPolicySource,
} from '../src/index.js';

const ORG = OrgIds.parse('0f8fad5b-d9cb-469f-a165-70867728950e');
const OTHER_ORG = OrgIds.parse('7c9e6679-7425-40de-944b-e07fc1f90ae7');
const AGENT = AgentId.parse('6f9619ff-8b86-d011-b42d-00cf4fc964ff');
const policy = parsePolicyDocument({ version: 1, name: 'p', rules: [] });

function recordingStore() {
  const reads: [OrgId, AgentId][] = [];
  return {
    reads,
    async getPolicyForTenant(orgId: OrgId, agentId: AgentId): Promise<PolicyDocument> {
      reads.push([orgId, agentId]);
      return policy;
    },
  };
}

describe('tenantPolicySource()', () => {
  it("reads the key's agent under the key's tenant, and remembers the tenant", async () => {
    const store = recordingStore();
    const source = tenantPolicySource(store);
    const signal = new AbortController().signal;
    await expect(source.load(TenantAgentKey.of(ORG, AGENT), { signal })).resolves.toBe(policy);
    expect(store.reads).toEqual([[ORG, AGENT]]);
    expect([...source.orgs]).toEqual([ORG]);
  });

  it('rejects a forged key with a TypeError, reading nothing and remembering nothing', async () => {
    const store = recordingStore();
    const source = tenantPolicySource(store);
    const forged = `${AGENT}` as unknown as TenantAgentKey;
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = source.load(forged);
    }).not.toThrow();
    await expect(pending).rejects.toSatisfy(isInvalidIdError);
    expect(store.reads).toEqual([]);
    expect(source.orgs.size).toBe(0);
  });

  it('remembers a tenant before its first read answers, so an invalidation meanwhile reaches it', () => {
    const source = tenantPolicySource({ getPolicyForTenant: () => new Promise(() => {}) });
    void source.load(TenantAgentKey.of(OTHER_ORG, AGENT));
    expect(source.orgs.has(OTHER_ORG)).toBe(true);
  });
});

describe('tenantInvalidationSink()', () => {
  function recordingSink() {
    const calls: string[] = [];
    const sink: InvalidationSink<TenantAgentKey> = {
      invalidate: (key) => calls.push(`invalidate ${key}`),
      clear: () => calls.push('clear'),
    };
    return { calls, sink };
  }

  it("invalidates the agent's key under every tenant it is given", () => {
    const { calls, sink } = recordingSink();
    tenantInvalidationSink(sink, [SYSTEM_ORG_ID, ORG, OTHER_ORG]).invalidate(AGENT);
    expect(calls).toEqual([
      `invalidate ${TenantAgentKey.of(SYSTEM_ORG_ID, AGENT)}`,
      `invalidate ${TenantAgentKey.of(ORG, AGENT)}`,
      `invalidate ${TenantAgentKey.of(OTHER_ORG, AGENT)}`,
    ]);
  });

  it('reads the tenants when it invalidates, so a tenant seen later is reached too', () => {
    const { calls, sink } = recordingSink();
    const orgs = new Set<OrgId>();
    const adapter = tenantInvalidationSink(sink, orgs);
    orgs.add(ORG);
    adapter.invalidate(AGENT);
    expect(calls).toEqual([`invalidate ${TenantAgentKey.of(ORG, AGENT)}`]);
  });

  it('passes clear() through', () => {
    const { calls, sink } = recordingSink();
    tenantInvalidationSink(sink, [ORG]).clear();
    expect(calls).toEqual(['clear']);
  });

  it('still invalidates the other tenants when one throws, then rethrows the first error', () => {
    const seen: string[] = [];
    const failure = new Error('first');
    const sink: InvalidationSink<TenantAgentKey> = {
      invalidate: (key) => {
        seen.push(key);
        if (seen.length === 1) throw failure;
      },
      clear: () => {},
    };
    expect(() => tenantInvalidationSink(sink, [ORG, OTHER_ORG]).invalidate(AGENT)).toThrow(failure);
    expect(seen).toHaveLength(2);
  });

  it('leaves no rejection unhandled when one tenant throws and another rejects', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let calls = 0;
      const sink: InvalidationSink<TenantAgentKey> = {
        invalidate: () => {
          calls++;
          if (calls === 1) return Promise.reject(new Error('async failure'));
          throw new Error('sync failure');
        },
        clear: () => {},
      };
      expect(() => tenantInvalidationSink(sink, [ORG, OTHER_ORG]).invalidate(AGENT)).toThrow(
        'sync failure',
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('waits for an async sink under every tenant', async () => {
    const done: string[] = [];
    const sink: InvalidationSink<TenantAgentKey> = {
      invalidate: async (key) => {
        await Promise.resolve();
        done.push(key);
      },
      clear: () => {},
    };
    await tenantInvalidationSink(sink, [ORG, OTHER_ORG]).invalidate(AGENT);
    expect(done).toHaveLength(2);
  });

  it('refuses a malformed agent id with a TypeError, even with no tenant to reach', () => {
    const { sink } = recordingSink();
    expect(() => tenantInvalidationSink(sink, []).invalidate('x' as AgentId)).toThrow(TypeError);
  });
});
