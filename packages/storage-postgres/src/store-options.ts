import { checkInteger, checkOptions, describeValue } from '@aa/core';
import type { Pool } from 'pg';
import { checkChannelName, policyChannel } from './policy-channel.js';
import { checkSchemaName, DEFAULT_SCHEMA } from './schema-name.js';

/** Settings of a `PgPolicyStore`. */
export interface PgPolicyStoreOptions {
  /**
   * The schema holding the `policies` table that `migrate()` created. A
   * lowercase identifier (`[a-z_][a-z0-9_]*`, at most 48 characters, not
   * starting with `pg_`).
   *
   * @default 'public'
   */
  readonly schema?: string | undefined;
  /**
   * The channel `putPolicy` notifies. A `PgInvalidationSubscriber` must
   * listen on the same one: give both the same `schema` and leave this unset,
   * or give both the same `channel`.
   *
   * @default policyChannel(schema), `'aa_policies.<schema>'`
   */
  readonly channel?: string | undefined;
  /**
   * The longest a read or a write may take, waiting for a pooled client
   * included. Past it the caller gets a `Backend` error and the query is
   * cancelled (a read) or its connection destroyed (a write). This is what
   * bounds a call on a connection that died silently, which the pool's
   * `connectionTimeoutMillis` (connecting only) cannot.
   *
   * @default 5_000
   */
  readonly timeoutMs?: number | undefined;
}

/** Defaults of {@link PgPolicyStoreOptions}. */
export const PG_POLICY_STORE_DEFAULTS = Object.freeze({
  schema: DEFAULT_SCHEMA,
  timeoutMs: 5_000,
});

const KNOWN_OPTIONS: ReadonlySet<string> = new Set(['schema', 'channel', 'timeoutMs']);
// setTimeout's ceiling: a longer timeout would fire at once.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** {@link PgPolicyStoreOptions} checked, with defaults applied. */
export interface ResolvedStoreOptions {
  readonly schema: string;
  readonly channel: string;
  readonly timeoutMs: number;
}

/**
 * Checks the store's pool and options once, at construction, and fills in the
 * defaults.
 * @throws {TypeError} "Expected … got …".
 */
export function resolveStoreOptions(pool: unknown, input: unknown): ResolvedStoreOptions {
  checkPool(pool);
  const options = checkOptions<PgPolicyStoreOptions>(input, KNOWN_OPTIONS);
  const schema = checkSchemaName(options.schema ?? PG_POLICY_STORE_DEFAULTS.schema);
  const timeoutMs = checkInteger(
    'timeoutMs',
    options.timeoutMs ?? PG_POLICY_STORE_DEFAULTS.timeoutMs,
    1,
    MAX_TIMEOUT_MS,
  );
  const channel =
    options.channel === undefined ? policyChannel(schema) : checkChannelName(options.channel);
  return Object.freeze({ schema, channel, timeoutMs });
}

function checkPool(pool: unknown): asserts pool is Pool {
  const candidate = pool as Partial<Pool> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.connect !== 'function' ||
    typeof candidate.options !== 'object'
  ) {
    throw new TypeError(`Expected \`pool\` to be a pg.Pool, got ${describeValue(pool)}`);
  }
  if ((candidate.options as { pipeline?: unknown }).pipeline === true) {
    // pg refuses custom protocol queries (the one-round-trip tenant read) in
    // pipeline mode; every read would fail and drop its connection.
    throw new TypeError('Expected `pool.options.pipeline` to be off, got `true` (boolean)');
  }
  const timeout = candidate.options.connectionTimeoutMillis;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw new TypeError(
      `Expected \`pool.options.connectionTimeoutMillis\` to be a finite number > 0 (without it an unreachable server or an exhausted pool makes callers wait forever), got ${describeValue(timeout)}`,
    );
  }
}
