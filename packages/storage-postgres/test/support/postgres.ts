import { randomUUID } from 'node:crypto';
import { AgentId, type PolicyDocument } from '@aa/core';
import { requireService } from '@aa/testing';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { migrate, PgPolicyStore, pgUrlFromEnv } from '../../src/index.js';

/** The server every suite talks to: `AA_PG_URL`, or the local default. */
export const PG_URL = pgUrlFromEnv();

/** `host:port/database` of {@link PG_URL}, without credentials, for messages. */
export const PG_ADDRESS = (() => {
  try {
    const url = new URL(PG_URL);
    return `${url.host}${url.pathname}`;
  } catch {
    return 'AA_PG_URL';
  }
})();

const noop = () => {};

/**
 * Whether the suites that need PostgreSQL run: the service gate of
 * `@aa/testing` with a real connection and `SELECT 1` as its probe.
 */
export function postgresAvailable(): Promise<boolean> {
  return requireService(
    `PostgreSQL at ${PG_ADDRESS}`,
    async () => {
      const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
      client.on('error', noop);
      try {
        await client.connect();
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(noop);
      }
    },
    { hint: 'start PostgreSQL or set AA_PG_URL (default postgres://postgres@127.0.0.1:5432/test)' },
  );
}

/** A pool on {@link PG_URL} with short timeouts and an `'error'` listener, as the README advises. */
export function createPool(overrides: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: PG_URL,
    connectionTimeoutMillis: 2_000,
    max: 10,
    ...overrides,
  });
  pool.on('error', noop);
  return pool;
}

/** A schema name no other test or run uses: `aa_test_<tag>_<random>`. */
export function freshSchema(tag: string): string {
  return `aa_test_${tag}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** Drops `schema` and everything in it. */
export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
}

/** A random agent id. */
export function freshAgentId(): AgentId {
  return AgentId.parse(randomUUID());
}

/**
 * Inserts a row straight into `schema`'s table, bypassing the store: version
 * `version` (the document's own by default) with `body` as given, valid or not.
 */
export async function insertRow(
  pool: pg.Pool,
  schema: string,
  id: AgentId,
  body: unknown,
  version = (body as PolicyDocument).version,
): Promise<void> {
  await pool.query(
    `INSERT INTO ${pg.escapeIdentifier(schema)}.policies (agent_id, policy_version, body) VALUES ($1, $2, $3::jsonb)`,
    [id, version, JSON.stringify(body)],
  );
}

/** Waits until `condition()` holds, polling every 10 ms; fails after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How far a promise got, without waiting for it. */
export async function settledWithin<T>(
  promise: Promise<T>,
  ms: number,
): Promise<
  | { status: 'fulfilled'; value: T }
  | { status: 'rejected'; reason: unknown }
  | { status: 'pending' }
> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<{ status: 'pending' }>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'pending' }), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ status: 'fulfilled' as const, value }),
        (reason: unknown) => ({ status: 'rejected' as const, reason }),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A pool and a store over a fresh, migrated schema, alive for one suite. */
export interface MigratedStore {
  readonly schema: string;
  readonly pool: pg.Pool;
  readonly store: PgPolicyStore;
}

/**
 * Creates a pool, migrates a fresh schema named after `tag` and builds a store
 * over it before the enclosing suite; drops the schema and ends the pool after
 * it. Read `pool` and `store` inside tests and hooks, not while registering.
 */
export function migratedStore(tag: string): MigratedStore {
  const schema = freshSchema(tag);
  let pool: pg.Pool | undefined;
  let store: PgPolicyStore | undefined;
  beforeAll(async () => {
    pool = createPool();
    await migrate(pool, { schema });
    store = new PgPolicyStore(pool, { schema });
  });
  afterAll(async () => {
    if (pool === undefined) return;
    await dropSchema(pool, schema);
    await pool.end();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('migratedStore() is read before its suite started');
    return value;
  };
  return {
    schema,
    get pool() {
      return ready(pool);
    },
    get store() {
      return ready(store);
    },
  };
}
