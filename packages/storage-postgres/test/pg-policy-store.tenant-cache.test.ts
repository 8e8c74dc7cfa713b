import { randomUUID } from 'node:crypto';
import { L1Cache } from '@aa/cache';
import {
  isStorageError,
  OrgId,
  type PolicyDocument,
  SYSTEM_ORG_ID,
  TenantAgentKey,
  tenantInvalidationSink,
} from '@aa/core';
import { APP_URL, postgresAvailable, waitUntil } from '@aa/test-infra';
import { samplePolicy } from '@aa/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PgInvalidationSubscriber } from '../src/index.js';
import { freshAgentId, insertRow, migratedStore } from './support/policy-tables.js';

const available = await postgresAvailable();

function freshOrgId(): OrgId {
  return OrgId.parse(randomUUID());
}

describe.runIf(available)('one L1Cache for every tenant, over PgPolicyStore', () => {
  const db = migratedStore('tenantcache');
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  function tenantCache() {
    const source = db.store.tenantSource();
    let loads = 0;
    const cache = new L1Cache<TenantAgentKey, PolicyDocument>(
      {
        load: (key, options) => {
          loads++;
          return source.load(key, options);
        },
      },
      { ttlMs: 60_000 },
    );
    closers.push(() => cache.dispose());
    return { cache, source, loads: () => loads };
  }

  it('answers 200 concurrent cold reads of one agent under three tenants each with its own, one load per tenant', async () => {
    const id = freshAgentId();
    const [a, b] = [freshOrgId(), freshOrgId()];
    await insertRow(db.pool, db.schema, id, samplePolicy(1), 1, a);
    await insertRow(db.pool, db.schema, id, samplePolicy(2), 2, b);
    const { cache, loads } = tenantCache();
    const orgs = [a, b, SYSTEM_ORG_ID];
    const reads = Array.from({ length: 200 }, (_, index) =>
      cache.get(TenantAgentKey.of(orgs[index % 3] as OrgId, id)).then(
        (policy) => policy.version,
        (error: unknown) => (isStorageError(error, 'NotFound') ? 'NotFound' : String(error)),
      ),
    );
    const answers = await Promise.all(reads);
    answers.forEach((answer, index) => {
      expect(answer).toBe([1, 2, 'NotFound'][index % 3]);
    });
    expect(loads()).toBe(3);
  });

  it("drops an agent's entries under every tenant when its change is notified, and clears on an empty one", async () => {
    const id = freshAgentId();
    const [a, b] = [freshOrgId(), freshOrgId()];
    await insertRow(db.pool, db.schema, id, samplePolicy(1), 1, a);
    await insertRow(db.pool, db.schema, id, samplePolicy(2), 2, b);
    const { cache, source } = tenantCache();
    const subscriber = new PgInvalidationSubscriber({
      connection: APP_URL,
      schema: db.schema,
      sink: tenantInvalidationSink(cache, source.orgs),
    });
    closers.push(() => subscriber.close());
    await subscriber.start();
    const keyA = TenantAgentKey.of(a, id);
    const keyB = TenantAgentKey.of(b, id);
    await cache.get(keyA);
    await cache.get(keyB);

    // A's write, as putPolicy notifies it: the agent id alone.
    await db.store.putPolicy(id, samplePolicy(3), { orgId: a });
    await waitUntil(() => cache.peek(keyA) === undefined, "A's entry to be dropped");
    expect(cache.peek(keyB)).toBeUndefined();
    await expect(cache.get(keyA)).resolves.toEqual(samplePolicy(3));
    await expect(cache.get(keyB)).resolves.toEqual(samplePolicy(2));

    await db.pool.query('SELECT pg_notify($1, $2)', [db.store.channel, '']);
    await waitUntil(() => cache.size === 0, 'the cache to be cleared');
  });

  it('keeps the app role from reading across tenants even with the raw pool', async () => {
    const client = new pg.Client({ connectionString: APP_URL });
    await client.connect();
    closers.push(() => client.end());
    const id = freshAgentId();
    const a = freshOrgId();
    await insertRow(db.pool, db.schema, id, samplePolicy(1), 1, a);
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [freshOrgId()]);
    const { rows } = await client.query(
      `SELECT body FROM ${db.schema}.policies WHERE agent_id = $1`,
      [id],
    );
    await client.query('ROLLBACK');
    expect(rows).toEqual([]);
  });
});
