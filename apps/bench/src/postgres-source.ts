import { randomUUID } from 'node:crypto';
import { encodePolicyDocument } from '@aa/core';
import { migrate, PgPolicyStore, pgUrlFromEnv } from '@aa/storage-postgres';
import { samplePolicy } from '@aa/testing';
import pg from 'pg';
import { type BurstResult, type BurstSettings, burstAgentId, runBurst } from './burst.js';
import { PolicyScanCounter, type TableScans } from './policy-scans.js';
import { measureScopedRead, type ScopedReadResult } from './scoped-read-bench.js';

/** The role the store connects as, the way a deployment's runtime does. */
const RUNTIME_ROLE = 'aa_bench_app';

/** What the server itself says the burst cost. */
export interface ServerEvidence extends TableScans {
  /** Where the figures come from. */
  readonly source: string;
  /** Queries that read the policies table: index scans + sequential scans. */
  readonly queries: number;
  /** Queries a collapsed burst costs: one per key. */
  readonly expected: number;
}

/** A burst against the real `PgPolicyStore`, with the server's own count. */
export interface PostgresBurstResult {
  /** `host:port/database`, without credentials. */
  readonly server: string;
  /** The temporary schema the burst ran in (dropped since). */
  readonly schema: string;
  /**
   * The role the store connected as: the unprivileged `aa_bench_app` (row-level
   * security binds it), or, where the bench may not create roles, the URL's own.
   */
  readonly role: { readonly name: string; readonly rowLevelSecurity: boolean };
  readonly burst: BurstResult;
  readonly evidence: ServerEvidence;
  /** The tenant-scoped read's latency next to a plain single-statement read. */
  readonly scopedRead: ScopedReadResult;
  /** The burst collapsed and the server saw exactly one query per key. */
  readonly ok: boolean;
}

/**
 * Replays the cold-key burst against a {@link PgPolicyStore} on the server at
 * `url`, in a temporary schema seeded with one policy per key and dropped
 * afterwards, and asks the server how many queries reached the policies table
 * ({@link PolicyScanCounter}).
 *
 * @throws when the server is unreachable; the schema is dropped whatever happens
 *   after it was created.
 */
export async function runPostgresBurst(
  settings: Omit<BurstSettings, 'delayMs'>,
  url: string = pgUrlFromEnv(),
): Promise<PostgresBurstResult> {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
  const schema = `aa_bench_${suffix}`;
  const applicationName = `aa-bench-burst-${suffix}`;
  const admin = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: 5_000,
    max: 1,
    application_name: 'aa-bench-admin',
  });
  admin.on('error', () => {});
  try {
    await migrate(admin, { schema });
    try {
      await seed(admin, schema, settings.keys);
      const role = await runtimeRole(admin, url, schema);
      const counter = await PolicyScanCounter.start(admin, schema);

      const pool = new pg.Pool({
        connectionString: role.url,
        connectionTimeoutMillis: 5_000,
        max: 10,
        application_name: applicationName,
      });
      pool.on('error', () => {});
      let burst: BurstResult;
      try {
        const store = new PgPolicyStore(pool, { schema });
        let loads = 0;
        burst = await runBurst(
          { ...settings, delayMs: 0 },
          {
            source: {
              load: (id, options) => {
                loads++;
                return store.load(id, options);
              },
            },
            loads: () => loads,
          },
        );
      } finally {
        await pool.end();
      }

      const scans = await counter.scansAfter(applicationName);
      const queries = scans.indexScans + scans.seqScans;
      const ids = Array.from({ length: settings.keys }, (_, index) => burstAgentId(index));
      const scopedRead = await measureScopedRead(role.url, schema, ids);
      return {
        server: describeServer(url),
        schema,
        role: { name: role.name, rowLevelSecurity: role.rowLevelSecurity },
        scopedRead,
        burst,
        evidence: {
          source: `pg_stat_user_tables (idx_scan + seq_scan of ${schema}.policies)`,
          ...scans,
          queries,
          expected: settings.keys,
        },
        ok: burst.collapsed && queries === settings.keys,
      };
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    }
  } finally {
    await admin.end();
  }
}

/**
 * One agent and one policy row per key, under the system org, in two
 * statements: agent {@link burstAgentId}`(i)` at version `i + 1`, its body in
 * upstream's format. An insert checks the keys without counting as a scan.
 */
async function seed(admin: pg.Pool, schema: string, keys: number): Promise<void> {
  const ids = Array.from({ length: keys }, (_, index) => burstAgentId(index));
  const bodies = ids.map((_, index) =>
    JSON.stringify(encodePolicyDocument(samplePolicy(index + 1))),
  );
  const quoted = pg.escapeIdentifier(schema);
  await admin.query(`INSERT INTO ${quoted}.agents (id) SELECT unnest($1::text[])`, [ids]);
  await admin.query(
    `INSERT INTO ${quoted}.policies (agent_id, policy_version, body)
     SELECT id, version, body::jsonb
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS seeded(id, body, version)`,
    [ids, bodies],
  );
}

/**
 * Creates (once per server) the unprivileged {@link RUNTIME_ROLE} and grants it
 * what a runtime needs on `schema`, so the store runs under row-level security
 * as in a deployment. Where the URL's role may not create roles, the bench
 * runs as that role instead and says so.
 */
async function runtimeRole(
  admin: pg.Pool,
  url: string,
  schema: string,
): Promise<{ url: string; name: string; rowLevelSecurity: boolean }> {
  const quoted = pg.escapeIdentifier(schema);
  try {
    await admin.query(`DO $$ BEGIN
        CREATE ROLE ${RUNTIME_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`);
    await admin.query(`GRANT USAGE ON SCHEMA ${quoted} TO ${RUNTIME_ROLE}`);
    await admin.query(
      `GRANT SELECT, INSERT ON ${quoted}.agents, ${quoted}.policies TO ${RUNTIME_ROLE}`,
    );
  } catch {
    const { rows } = await admin.query<{ name: string; bypasses: boolean }>(
      'SELECT current_user AS name, rolsuper OR rolbypassrls AS bypasses FROM pg_roles WHERE rolname = current_user',
    );
    return { url, name: rows[0]?.name ?? 'unknown', rowLevelSecurity: rows[0]?.bypasses === false };
  }
  const runtime = new URL(url);
  runtime.username = RUNTIME_ROLE;
  runtime.password = '';
  return { url: runtime.toString(), name: RUNTIME_ROLE, rowLevelSecurity: true };
}

function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return 'AA_PG_URL';
  }
}
