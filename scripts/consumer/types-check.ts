// Compiled by consumer-check.sh in the fresh project, with only the packed
// packages and @types/node installed, strict and with skipLibCheck off: every
// public entry point's types must resolve for a consumer as published.
import { L1Cache } from '@aa/cache';
import {
  AgentId,
  OrgId,
  type PolicyDocument,
  parsePolicyDocument,
  StorageError,
  TenantAgentKey,
  tenantInvalidationSink,
} from '@aa/core';
import {
  InvalidationSubscriber,
  type InvalidationTransport,
  resolveSubscriberOptions,
  type SubscriberOptions,
} from '@aa/invalidation';
import { GatewayInvalidationSubscriber } from '@aa/invalidation-gateway';
import { RedisInvalidationSubscriber } from '@aa/invalidation-redis';
import { migrate, PgInvalidationSubscriber, PgPolicyStore } from '@aa/storage-postgres';
import { RedisPolicyCache, TieredPolicySource } from '@aa/storage-redis';
import { MemoryPolicyStore, samplePolicy } from '@aa/testing';
import {
  describeInvalidationTransportConformance,
  describeTenantPolicyStoreConformance,
} from '@aa/testing/conformance';
import pg from 'pg';

export async function typed(): Promise<PolicyDocument> {
  const pool = new pg.Pool({ connectionString: 'postgres://x', connectionTimeoutMillis: 1 });
  await migrate(pool, { schema: 'aa' });
  const store: PgPolicyStore = new PgPolicyStore(pool, { schema: 'aa', timeoutMs: 5_000 });
  const l2 = new RedisPolicyCache({ url: 'redis://127.0.0.1:6379' });
  const source = new TieredPolicySource({ l2, origin: store });
  const cache = new L1Cache(source, { ttlMs: 1_000 });
  const sink = tenantInvalidationSink(cache, source.orgs);
  void new PgInvalidationSubscriber({ connection: 'postgres://x', sink });
  void new RedisInvalidationSubscriber({ sink });
  const gateway = new GatewayInvalidationSubscriber({
    url: 'http://127.0.0.1:50051',
    assemblyId: 'a',
    sink,
  });
  void gateway.lastSeq;
  void gateway.stats().clearCauses;
  const { resolved } = resolveSubscriberOptions<SubscriberOptions>({ sink }, []);
  const transport: InvalidationTransport<number> = {
    name: 'mine',
    target: 't',
    connect: () => Promise.reject(new Error('x')),
  };
  void new InvalidationSubscriber(transport, resolved).start;
  void describeTenantPolicyStoreConformance;
  void describeInvalidationTransportConformance;
  const memory = new MemoryPolicyStore().insert(AgentId.parse('x'), samplePolicy(1));
  void memory;
  const error: unknown = new Error('x');
  if (error instanceof StorageError) void error.kind;
  const policy: PolicyDocument = parsePolicyDocument({ version: 1, name: 'n', rules: [] });
  void policy.rules.map((rule) => rule.action_pattern);
  return cache.get(TenantAgentKey.of(OrgId.parse('x'), AgentId.parse('y')));
}
