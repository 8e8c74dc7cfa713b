// Run by consumer-check.sh in a fresh npm project that installed the packed
// tarballs: the README's tenant-aware setup, against a real PostgreSQL, as a
// stranger would write it. Exits non-zero on the first broken promise.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { L1Cache } from '@aa/cache';
import {
  AgentId,
  encodePolicyDocument,
  isStorageError,
  OrgId,
  parsePolicyDocument,
  TenantAgentKey,
  tenantInvalidationSink,
} from '@aa/core';
import { migrate, PgInvalidationSubscriber, PgPolicyStore } from '@aa/storage-postgres';
import { RedisPolicyCache, TieredPolicySource } from '@aa/storage-redis';
import pg from 'pg';

const url = process.env.AA_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `aa_consumer_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const role = 'aa_consumer_app';
const admin = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 5_000 });
admin.on('error', () => {});

const appUrl = new URL(url);
appUrl.username = role;
appUrl.password = '';
const pool = new pg.Pool({ connectionString: appUrl.toString(), connectionTimeoutMillis: 5_000 });
pool.on('error', () => {});

// The upstream example document, as upstream writes it.
const upstreamBody =
  '{"version":3,"name":"acme-default","rules":[{"action_pattern":"fs.read:*","decision":"Allow"},{"action_pattern":"shell.exec:*","decision":"RequireApproval"}],"enforcement_mode":"observe"}';

try {
  await migrate(admin, { schema });
  await admin.query(`DO $$ BEGIN CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
  await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
  await admin.query(`GRANT SELECT, INSERT ON ${schema}.agents, ${schema}.policies TO ${role}`);

  const [acme, globex] = [OrgId.parse(randomUUID()), OrgId.parse(randomUUID())];
  const agent = AgentId.parse(randomUUID());
  for (const org of [acme, globex]) {
    await admin.query(`INSERT INTO ${schema}.orgs (id, name) VALUES ($1, 'org')`, [org]);
  }
  await admin.query(`INSERT INTO ${schema}.agents (id, org_id) VALUES ($1, $2)`, [agent, acme]);
  await admin.query(
    `INSERT INTO ${schema}.policies (agent_id, policy_version, body, org_id) VALUES ($1, 1, $2, $3)`,
    [agent, upstreamBody, acme],
  );

  const store = new PgPolicyStore(pool, { schema });
  const source = store.tenantSource();
  const policies = new L1Cache(source, { ttlMs: 60_000 });
  const subscriber = new PgInvalidationSubscriber({
    connection: appUrl.toString(),
    schema,
    sink: tenantInvalidationSink(policies, source.orgs),
  });
  await subscriber.start();

  const policy = await policies.get(TenantAgentKey.of(acme, agent));
  assert.equal(JSON.stringify(encodePolicyDocument(policy)), upstreamBody);
  await assert.rejects(policies.get(TenantAgentKey.of(globex, agent)), (error) =>
    isStorageError(error, 'NotFound'),
  );

  const next = parsePolicyDocument({ ...JSON.parse(upstreamBody), version: 4 });
  assert.equal(await store.putPolicy(agent, next, { orgId: acme }), 2);
  const deadline = Date.now() + 5_000;
  while (policies.peek(TenantAgentKey.of(acme, agent)) !== undefined) {
    assert.ok(Date.now() < deadline, 'the NOTIFY never invalidated the cached entry');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal((await policies.get(TenantAgentKey.of(acme, agent))).version, 4);

  await subscriber.close();
  policies.dispose();

  // The shared L2: a miss fills it in upstream's layout, the next instance reads it.
  const redisUrl = new URL(process.env.AA_REDIS_URL || 'redis://127.0.0.1:6379');
  redisUrl.pathname = '/15';
  const l2 = new RedisPolicyCache({ url: redisUrl.toString() });
  try {
    await l2.invalidate(agent);
    const first = new TieredPolicySource({ l2, origin: store });
    assert.equal((await first.load(TenantAgentKey.of(acme, agent))).version, 4);
    const second = new TieredPolicySource({ l2, origin: store });
    assert.equal((await second.load(TenantAgentKey.of(acme, agent))).version, 4);
    assert.deepEqual(
      [first.stats().fills, second.stats().l2Hits, second.stats().originLoads],
      [1, 1, 0],
    );
    await l2.invalidate(agent);
  } finally {
    await l2.close();
  }
  console.log('consumer check: the packed packages read, cache, share and invalidate per tenant');
} finally {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
  await pool.end();
  await admin.end();
}
