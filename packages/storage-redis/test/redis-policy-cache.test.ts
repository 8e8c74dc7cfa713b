import { randomUUID } from 'node:crypto';
import {
  AgentId,
  isInvalidIdError,
  isStorageError,
  OrgId,
  parsePolicyDocument,
  SYSTEM_ORG_ID,
} from '@aa/core';
import { freshRedisDatabase, redisAvailable, redisUrlOf } from '@aa/test-infra';
import { samplePolicy } from '@aa/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type L2Read, policyKeys, RedisPolicyCache } from '../src/index.js';

const DB = 11;
const available = await redisAvailable();

/** The upstream example document, as upstream's writer serialises it. */
const UPSTREAM_BODY =
  '{"version":3,"name":"acme-default","rules":[{"action_pattern":"fs.read:*","decision":"Allow"},{"action_pattern":"shell.exec:*","decision":"RequireApproval"}],"enforcement_mode":"observe"}';

const freshAgent = () => AgentId.parse(randomUUID());
const freshOrg = () => OrgId.parse(randomUUID());

function generationOf(read: L2Read) {
  if (read.kind === 'hit') throw new Error('expected a miss');
  return read.generation;
}

describe('RedisPolicyCache', () => {
  describe('options', () => {
    it.each([
      [{ ttlSeconds: 0 }, 'Expected `ttlSeconds` to be an integer from 1 to'],
      [{ timeoutMs: 1.5 }, 'Expected `timeoutMs` to be an integer from 1 to'],
      [{ generationTtlSeconds: 10 }, 'Expected `generationTtlSeconds` to be an integer from 60'],
      [{ url: 'http://x' }, 'Expected `url` to be a redis:// or rediss:// URL'],
      [{ client: {} }, 'Expected `client` to be an ioredis Redis'],
      [{ ttl: 5 }, 'unknown option `ttl`'],
      [
        { client: new Redis({ lazyConnect: true, keyPrefix: 'app:' }) },
        'Expected `client` to have no `keyPrefix`, got `"app:"` (string)',
      ],
    ])('rejects %j with a TypeError', (options, message) => {
      expect(() => new RedisPolicyCache(options as never)).toThrow(TypeError);
      expect(() => new RedisPolicyCache(options as never)).toThrow(message);
    });
  });

  describe.runIf(available)('against Redis', () => {
    let admin: Redis;
    let cache: RedisPolicyCache;

    beforeAll(async () => {
      admin = await freshRedisDatabase(DB);
      cache = new RedisPolicyCache({ url: redisUrlOf(DB) });
      await cache.connect();
    });

    afterAll(async () => {
      await cache.close();
      await admin.flushdb();
      admin.disconnect();
    });

    it('reads a document upstream wrote (SET aa:policy:<hex> json EX 300)', async () => {
      const agent = freshAgent();
      await admin.set(policyKeys(SYSTEM_ORG_ID, agent).value, UPSTREAM_BODY, 'EX', 300);
      await expect(cache.read(SYSTEM_ORG_ID, agent)).resolves.toEqual({
        kind: 'hit',
        document: parsePolicyDocument(JSON.parse(UPSTREAM_BODY)),
      });
    });

    it('fills upstream’s key with upstream’s JSON, byte for byte, for the TTL', async () => {
      const agent = freshAgent();
      const miss = await cache.read(SYSTEM_ORG_ID, agent);
      expect(miss.kind).toBe('miss');
      const document = parsePolicyDocument(JSON.parse(UPSTREAM_BODY));
      await expect(cache.fill(SYSTEM_ORG_ID, agent, document, generationOf(miss))).resolves.toBe(
        true,
      );
      const key = policyKeys(SYSTEM_ORG_ID, agent).value;
      expect(await admin.get(key)).toBe(UPSTREAM_BODY);
      const ttl = await admin.ttl(key);
      expect(ttl).toBeGreaterThan(290);
      expect(ttl).toBeLessThanOrEqual(300);
    });

    it("fills a tenant's document at its own key, never at the tenant-less one", async () => {
      const [agent, org] = [freshAgent(), freshOrg()];
      const miss = await cache.read(org, agent);
      await cache.fill(org, agent, samplePolicy(7), generationOf(miss));
      expect(await admin.get(policyKeys(SYSTEM_ORG_ID, agent).value)).toBeNull();
      expect(JSON.parse((await admin.get(policyKeys(org, agent).value)) ?? 'null')).toEqual(
        samplePolicy(7),
      );
      await expect(cache.read(SYSTEM_ORG_ID, agent)).resolves.toMatchObject({ kind: 'miss' });
      await expect(cache.read(freshOrg(), agent)).resolves.toMatchObject({ kind: 'miss' });
    });

    it.each([
      ['text that is not JSON', 'not json'],
      ['a camelCase document', '{"version":1,"name":"n","rules":[{"actionPattern":"a"}]}'],
      ['JSON null', 'null'],
    ])('reports %s as malformed, a miss whose fill overwrites it', async (_label, body) => {
      const agent = freshAgent();
      const key = policyKeys(SYSTEM_ORG_ID, agent).value;
      await admin.set(key, body);
      const found = await cache.read(SYSTEM_ORG_ID, agent);
      expect(found.kind).toBe('malformed');
      expect(found.kind === 'malformed' && isStorageError(found.error, 'Serialization')).toBe(true);
      await cache.fill(SYSTEM_ORG_ID, agent, samplePolicy(2), generationOf(found));
      await expect(cache.read(SYSTEM_ORG_ID, agent)).resolves.toEqual({
        kind: 'hit',
        document: samplePolicy(2),
      });
    });

    it('invalidates an agent under every tenant and upstream’s key, in one step', async () => {
      const agent = freshAgent();
      const other = freshAgent();
      const orgs = [SYSTEM_ORG_ID, freshOrg(), freshOrg()];
      for (const [index, org] of orgs.entries()) {
        const miss = await cache.read(org, agent);
        await cache.fill(org, agent, samplePolicy(index), generationOf(miss));
      }
      const otherMiss = await cache.read(orgs[1] as OrgId, other);
      await cache.fill(orgs[1] as OrgId, other, samplePolicy(9), generationOf(otherMiss));

      await cache.invalidate(agent);

      for (const org of orgs) {
        expect(await admin.exists(policyKeys(org, agent).value)).toBe(0);
      }
      await expect(cache.read(orgs[1] as OrgId, other)).resolves.toMatchObject({ kind: 'hit' });
    });

    it('refuses a fill whose read came before an invalidation of the agent', async () => {
      const [agent, org] = [freshAgent(), freshOrg()];
      const before = generationOf(await cache.read(org, agent));
      await cache.invalidate(agent);
      await expect(cache.fill(org, agent, samplePolicy(1), before)).resolves.toBe(false);
      expect(await admin.exists(policyKeys(org, agent).value)).toBe(0);
      const after = generationOf(await cache.read(org, agent));
      await expect(cache.fill(org, agent, samplePolicy(2), after)).resolves.toBe(true);
    });

    it('refuses a fill whose read came before a clear(), and drops every document', async () => {
      const agent = freshAgent();
      const filled = freshAgent();
      const before = generationOf(await cache.read(SYSTEM_ORG_ID, agent));
      const miss = await cache.read(SYSTEM_ORG_ID, filled);
      await cache.fill(SYSTEM_ORG_ID, filled, samplePolicy(1), generationOf(miss));
      await cache.clear();
      expect(await admin.exists(policyKeys(SYSTEM_ORG_ID, filled).value)).toBe(0);
      await expect(cache.fill(SYSTEM_ORG_ID, agent, samplePolicy(1), before)).resolves.toBe(false);
    });

    it('serves a call made right after construction, while its connection opens', async () => {
      const fresh = new RedisPolicyCache({ url: redisUrlOf(DB) });
      try {
        const agent = freshAgent();
        await admin.set(policyKeys(SYSTEM_ORG_ID, agent).value, UPSTREAM_BODY);
        await expect(fresh.read(SYSTEM_ORG_ID, agent)).resolves.toMatchObject({ kind: 'hit' });
      } finally {
        await fresh.close();
      }
    });

    it('refuses a fill whose generation vanished since its read (a Redis restarted empty)', async () => {
      const [agent, org] = [freshAgent(), freshOrg()];
      const before = generationOf(await cache.read(org, agent));
      await admin.del(policyKeys(org, agent).agentGeneration);
      await expect(cache.fill(org, agent, samplePolicy(1), before)).resolves.toBe(false);
      await admin.del('aa:policy-generation');
      const again = generationOf(await cache.read(org, agent));
      await admin.del('aa:policy-generation');
      await expect(cache.fill(org, agent, samplePolicy(1), again)).resolves.toBe(false);
    });

    it('never lets a shorter-lived fill make the tenant set forget a longer-lived document', async () => {
      const agent = freshAgent();
      const [lasting, brief] = [freshOrg(), freshOrg()];
      const short = new RedisPolicyCache({ url: redisUrlOf(DB), ttlSeconds: 1 });
      try {
        await cache.fill(
          lasting,
          agent,
          samplePolicy(1),
          generationOf(await cache.read(lasting, agent)),
        );
        await short.fill(
          brief,
          agent,
          samplePolicy(2),
          generationOf(await short.read(brief, agent)),
        );
        expect(await admin.ttl(policyKeys(lasting, agent).agentTenants)).toBeGreaterThan(290);
        await cache.invalidate(agent);
        expect(await admin.exists(policyKeys(lasting, agent).value)).toBe(0);
      } finally {
        await short.close();
      }
    });

    it('reads a key holding another Redis type as malformed, and the fill overwrites it', async () => {
      const agent = freshAgent();
      const key = policyKeys(SYSTEM_ORG_ID, agent).value;
      await admin.rpush(key, 'x');
      const found = await cache.read(SYSTEM_ORG_ID, agent);
      expect(found.kind).toBe('malformed');
      await expect(
        cache.fill(SYSTEM_ORG_ID, agent, samplePolicy(3), generationOf(found)),
      ).resolves.toBe(true);
      await expect(cache.read(SYSTEM_ORG_ID, agent)).resolves.toMatchObject({ kind: 'hit' });
    });

    it('invalidates over a generation some other writer corrupted, deleting every document', async () => {
      const [agent, org] = [freshAgent(), freshOrg()];
      await cache.fill(org, agent, samplePolicy(1), generationOf(await cache.read(org, agent)));
      await admin.set(policyKeys(org, agent).agentGeneration, 'not-a-number');
      await cache.invalidate(agent);
      expect(await admin.exists(policyKeys(org, agent).value)).toBe(0);
    });

    it('opens a lazy client it was given, and rejects every call once closed', async () => {
      const lazy = new Redis(redisUrlOf(DB), { lazyConnect: true, enableOfflineQueue: false });
      lazy.on('error', () => {});
      const given = new RedisPolicyCache({ client: lazy });
      try {
        await expect(given.read(SYSTEM_ORG_ID, freshAgent())).resolves.toMatchObject({
          kind: 'miss',
        });
      } finally {
        await given.close();
        lazy.disconnect();
      }
      const closing = new RedisPolicyCache({ url: redisUrlOf(DB) });
      await closing.close();
      await expect(closing.read(SYSTEM_ORG_ID, freshAgent())).rejects.toThrow(
        'the cache was closed',
      );
      await expect(closing.connect()).rejects.toThrow('the cache was closed');
    });

    it('rejects a non-canonical id with an InvalidIdError, touching nothing', async () => {
      const upper = randomUUID().toUpperCase();
      await expect(cache.read(SYSTEM_ORG_ID, upper as AgentId)).rejects.toSatisfy(isInvalidIdError);
      await expect(cache.read(upper as OrgId, freshAgent())).rejects.toSatisfy(isInvalidIdError);
      await expect(cache.invalidate('x' as AgentId)).rejects.toSatisfy(isInvalidIdError);
    });
  });
});
