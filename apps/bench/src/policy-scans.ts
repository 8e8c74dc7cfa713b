import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from '@aa/test-infra/polling';
import type pg from 'pg';

/** How many times the server scanned one table, as its statistics say. */
export interface TableScans {
  /** Index scans (`pg_stat_user_tables.idx_scan`): one per indexed lookup. */
  readonly indexScans: number;
  /** Sequential scans (`pg_stat_user_tables.seq_scan`). */
  readonly seqScans: number;
}

const POLL_MS = 20;
const SETTLE_TIMEOUT_MS = 5_000;

/**
 * Server-side evidence of how many queries read `"<schema>".policies`: the
 * table's scan counters in `pg_stat_user_tables`, which count every execution
 * of a plan that reads the table, whichever client sent it. (pg_stat_statements
 * would say the same per statement, but it needs `shared_preload_libraries` and
 * a restart, so it cannot be assumed.)
 *
 * A backend reports its counters to the shared statistics when it goes idle,
 * at most once a second, and always when it exits; so {@link scansAfter} waits
 * until every connection of the measured pool has closed before reading.
 */
export class PolicyScanCounter {
  readonly #admin: pg.Pool;
  readonly #table: string;
  readonly #baseline: TableScans;

  private constructor(admin: pg.Pool, table: string, baseline: TableScans) {
    this.#admin = admin;
    this.#table = table;
    this.#baseline = baseline;
  }

  /**
   * Reads the counters of `"<schema>".policies` now, as the baseline. `admin`
   * (one connection) may have scanned the table itself, setting it up: its
   * session is made to report first, or those scans would reach the shared
   * statistics up to a second later, inside the measurement. Nothing that scans
   * the table may be pending in another open session.
   */
  static async start(admin: pg.Pool, schema: string): Promise<PolicyScanCounter> {
    const table = `${schema}.policies`;
    // The session reports everything pending as it goes idle after this
    // statement, before it reads the baseline (PostgreSQL 15+; before that,
    // there is no such call, and reports went out every half second).
    await admin.query(`DO $$ BEGIN
      IF current_setting('server_version_num')::int >= 150000 THEN
        PERFORM pg_stat_force_next_flush();
      END IF;
    END $$`);
    return new PolicyScanCounter(admin, table, await readScans(admin, table));
  }

  /**
   * The scans since the baseline, once every backend whose `application_name`
   * is `applicationName` has exited (end that pool first) and the counters have
   * stopped moving.
   * @throws when those backends have not exited within 5 s.
   */
  async scansAfter(applicationName: string): Promise<TableScans> {
    const deadline = performance.now() + SETTLE_TIMEOUT_MS;
    await waitUntil(
      async () => (await backendsOf(this.#admin, applicationName)) === 0,
      `the backends of ${applicationName} to exit`,
      SETTLE_TIMEOUT_MS,
    );
    // An exiting backend flushes its counters before it leaves pg_stat_activity
    // (PostgreSQL 15+); read twice, apart, so older servers' delays show as motion.
    let scans = await readScans(this.#admin, this.#table);
    for (;;) {
      await sleep(POLL_MS * 5);
      const again = await readScans(this.#admin, this.#table);
      if (again.indexScans === scans.indexScans && again.seqScans === scans.seqScans) break;
      if (performance.now() > deadline) break;
      scans = again;
    }
    return {
      indexScans: scans.indexScans - this.#baseline.indexScans,
      seqScans: scans.seqScans - this.#baseline.seqScans,
    };
  }
}

async function readScans(admin: pg.Pool, table: string): Promise<TableScans> {
  const { rows } = await admin.query<{ idx_scan: string | null; seq_scan: string }>(
    'SELECT idx_scan::text, seq_scan::text FROM pg_stat_user_tables WHERE relid = $1::regclass',
    [table],
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`no statistics for ${table}`);
  return { indexScans: Number(row.idx_scan ?? 0), seqScans: Number(row.seq_scan) };
}

async function backendsOf(admin: pg.Pool, applicationName: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  return rows[0]?.n ?? 0;
}
