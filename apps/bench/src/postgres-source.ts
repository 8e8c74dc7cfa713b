import { randomUUID } from 'node:crypto';
import { migrate, PgPolicyStore, pgUrlFromEnv } from '@aa/storage-postgres';
import pg from 'pg';
import { type BurstResult, type BurstSettings, burstAgentId, runBurst } from './burst.js';
import { PolicyScanCounter, type TableScans } from './policy-scans.js';
import { runtimeRole } from './runtime-role.js';
import { measureScopedRead, type ScopedReadResult } from './scoped-read-bench.js';
import { seedPolicies } from './seed-policies.js';

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
      const ids = Array.from({ length: settings.keys }, (_, index) => burstAgentId(index));
      await seedPolicies(admin, schema, ids);
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

function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return 'AA_PG_URL';
  }
}
