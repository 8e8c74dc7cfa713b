import { randomUUID } from 'node:crypto';
import { migrate, PgPolicyStore } from '@aa/storage-postgres';
import { createPool, PG_URL, postgresAvailable } from '@aa/test-infra';
import { samplePolicy } from '@aa/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { burstAgentId } from '../src/burst.js';
import { PolicyScanCounter } from '../src/policy-scans.js';
import { runPostgresBurst } from '../src/postgres-source.js';

const url = PG_URL;
const available = await postgresAvailable();

describe.runIf(available)('the PostgreSQL burst', () => {
  // A schema migrated, a role granted, a burst and its settling: seconds on a loaded machine.
  it('collapses every key into one query, as the server counts them, and drops its schema', {
    timeout: 20_000,
  }, async () => {
    const run = await runPostgresBurst({ concurrency: 30, keys: 3 }, url);
    expect(run.burst).toMatchObject({ callers: 90, loads: 3, wrongAnswers: 0, collapsed: true });
    expect(run.evidence).toMatchObject({ queries: 3, expected: 3 });
    expect(run.ok).toBe(true);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const { rows } = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
        run.schema,
      ]);
      expect(rows).toEqual([]);
    } finally {
      await admin.end();
    }
  });

  it('counts none of the scans that set the table up, however long the measurement takes', async () => {
    const schema = `aa_bench_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const admin = createPool({ max: 1 });
    try {
      // The migration scans the table on this session, whose statistics reach
      // the server up to a second later unless the counter makes it report.
      await migrate(admin, { schema });
      const counter = await PolicyScanCounter.start(admin, schema);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const scans = await counter.scansAfter(`aa-bench-test-${randomUUID().slice(0, 8)}`);
      expect(scans).toEqual({ indexScans: 0, seqScans: 0 });
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });

  it('counts every query that reaches the table, so a burst that did not collapse would show', async () => {
    const schema = `aa_bench_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const admin = createPool({ max: 1 });
    try {
      await migrate(admin, { schema });
      const id = burstAgentId(0);
      await admin.query(`INSERT INTO ${schema}.agents (id) VALUES ($1)`, [id]);
      await admin.query(
        `INSERT INTO ${schema}.policies (agent_id, policy_version, body) VALUES ($1, 1, $2)`,
        [id, JSON.stringify(samplePolicy(1))],
      );
      const counter = await PolicyScanCounter.start(admin, schema);
      const applicationName = `aa-bench-test-${randomUUID().slice(0, 8)}`;
      const pool = new pg.Pool({
        connectionString: url,
        connectionTimeoutMillis: 2_000,
        application_name: applicationName,
      });
      const store = new PgPolicyStore(pool, { schema });
      // Four loads, as four uncoalesced callers would make.
      await Promise.all([1, 2, 3, 4].map(() => store.getPolicy(id)));
      await pool.end();
      const scans = await counter.scansAfter(applicationName);
      expect(scans.indexScans + scans.seqScans).toBe(4);
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });
});
