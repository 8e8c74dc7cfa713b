import { type AgentId, parsePolicyDocument, SYSTEM_ORG_ID } from '@aa/core';
import { PgPolicyStore } from '@aa/storage-postgres';
import pg from 'pg';
import { median } from './lib/statistics.js';

/** How the scoped read is measured against the plain one. */
export interface ScopedReadSettings {
  /** Reads of each kind before measuring, to warm plans, caches and the JIT. */
  readonly warmup: number;
  /** Measured reads of each kind, alternating one of each. */
  readonly reads: number;
}

/** The settings `pnpm bench --source postgres` uses: about 7,000 reads, a second or two. */
export const DEFAULT_SCOPED_READ_SETTINGS: ScopedReadSettings = Object.freeze({
  warmup: 500,
  reads: 3_000,
});

/** Latency of the tenant-scoped read next to a plain one, measured in one run. */
export interface ScopedReadResult {
  /** Median latency of a plain read, in microseconds. */
  readonly plainUs: number;
  /** Median latency of `getPolicyForTenant`, in microseconds. */
  readonly scopedUs: number;
  /** scopedUs / plainUs. */
  readonly ratio: number;
  readonly settings: ScopedReadSettings;
}

/**
 * Measures what scoping a read to a tenant costs. Both reads run on a
 * one-connection pool of the same role, over the same rows, and both decode
 * the body with `parsePolicyDocument`:
 *
 * - plain: the single prepared statement upstream runs, `SELECT body … WHERE
 *   agent_id = $1 ORDER BY policy_version DESC LIMIT 1`, on a connection
 *   whose `app.tenant_id` is set for the whole session (so row-level security
 *   filters as it does for the scoped read), through `pool.query`;
 * - scoped: `PgPolicyStore.getPolicyForTenant`, which sets the tenant for that
 *   one read in the same round trip, with its deadline and abort handling.
 *
 * The two alternate read by read, the first of each pair alternating too, so
 * the drift of a shared machine hits both alike; the figures are medians of
 * single reads.
 */
export async function measureScopedRead(
  url: string,
  schema: string,
  ids: readonly AgentId[],
  settings: ScopedReadSettings = DEFAULT_SCOPED_READ_SETTINGS,
): Promise<ScopedReadResult> {
  const plainPool = onePool(url, `-c app.tenant_id=${SYSTEM_ORG_ID}`);
  const scopedPool = onePool(url);
  try {
    const store = new PgPolicyStore(scopedPool, { schema });
    const statement = {
      name: `aa-bench-plain-read:${schema}`,
      text: `SELECT body FROM ${pg.escapeIdentifier(schema)}.policies
             WHERE agent_id = $1 ORDER BY policy_version DESC LIMIT 1`,
    };
    const plain = async (id: AgentId) => {
      const { rows } = await plainPool.query({ ...statement, values: [id] });
      return parsePolicyDocument(rows[0]?.body, `agent ${id}`);
    };
    const scoped = (id: AgentId) => store.getPolicyForTenant(SYSTEM_ORG_ID, id);
    const plainUs: number[] = [];
    const scopedUs: number[] = [];
    for (let index = 0; index < settings.warmup + settings.reads; index++) {
      const id = ids[index % ids.length] as AgentId;
      const kept = index >= settings.warmup;
      const plainFirst = index % 2 === 0;
      const first = await timed(() => (plainFirst ? plain(id) : scoped(id)));
      const second = await timed(() => (plainFirst ? scoped(id) : plain(id)));
      if (kept) {
        plainUs.push(plainFirst ? first : second);
        scopedUs.push(plainFirst ? second : first);
      }
    }
    const plainMedian = median(plainUs);
    const scopedMedian = median(scopedUs);
    return {
      plainUs: plainMedian,
      scopedUs: scopedMedian,
      ratio: scopedMedian / plainMedian,
      settings,
    };
  } finally {
    await Promise.all([plainPool.end(), scopedPool.end()]);
  }
}

function onePool(url: string, options?: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: 5_000,
    max: 1,
    application_name: 'aa-bench-scoped-read',
    ...(options === undefined ? {} : { options }),
  });
  pool.on('error', () => {});
  return pool;
}

/** How long one `read()` took, in µs. */
async function timed(read: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await read();
  return (performance.now() - started) * 1_000;
}
