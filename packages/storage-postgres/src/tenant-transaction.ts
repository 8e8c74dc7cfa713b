import { asError, isStorageError, type OrgId, StorageError } from '@aa/core';
import type { Pool, PoolClient } from 'pg';
import { backendError, sqlState } from './backend-error.js';
import { Cutoff } from './cutoff.js';
import { checkout } from './pooled-query.js';
import { rollback } from './rollback.js';

// With the advisory lock only a writer that bypasses it (a raw INSERT) can take
// the version a put computed; a few attempts absorb that, more would hide a bug.
const MAX_ATTEMPTS = 3;
const UNIQUE_VIOLATION = '23505';
const noop = () => {};

/** What {@link tenantTransaction} runs, and under which tenant. */
export interface TenantTransaction<T> {
  /** The tenant whose rows the transaction may see and write. */
  readonly orgId: OrgId;
  /** `$1` org id → sets `app.tenant_id` transaction-locally. */
  readonly setTenantSql: string;
  /** What the transaction does, for error messages: "writing the policy of agent …". */
  readonly action: string;
  /** The longest the whole call may take, checkout and every attempt included. */
  readonly timeoutMs: number;
  /** The statements to run once the tenant is set; the transaction commits after them. */
  run(client: PoolClient): Promise<T>;
}

/**
 * Runs `transaction.run` in a transaction on a pooled client, under the
 * tenant's scope: `BEGIN`, `set_config('app.tenant_id', org, true)`, the
 * statements, `COMMIT`. The setting is transaction-local, so it ends with the
 * transaction whatever happens, and a client whose transaction state is
 * unknown is destroyed, never handed to the next caller.
 *
 * A unique violation (a writer that bypassed the advisory lock took the
 * version) is retried in a new transaction, at most 3 attempts in all. Past
 * `timeoutMs` the connection is cut: every statement in flight fails and the
 * client is destroyed.
 *
 * @throws {StorageError} whatever `run` threw as one (after a rollback);
 *   `Conflict` when the unique violation persists; `Backend` with the driver's
 *   error as `cause` otherwise. A `Backend` error while committing leaves the
 *   outcome unknown.
 */
export async function tenantTransaction<T>(
  pool: Pool,
  transaction: TenantTransaction<T>,
): Promise<T> {
  const { action, timeoutMs } = transaction;
  const deadline = Cutoff.after(timeoutMs);
  let client: PoolClient;
  try {
    client = await checkout(pool, deadline);
  } catch (error) {
    deadline.dispose();
    throw backendError(action, error);
  }
  deadline.whenCut((reason) => client.connection.stream.destroy(asError(reason)));
  client.on('error', noop);
  let broken: Error | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query('BEGIN');
        await client.query(transaction.setTenantSql, [transaction.orgId]);
        const result = await transaction.run(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A server error leaves the connection usable once rolled back; a
        // connection failure (no SQLSTATE) leaves nothing to roll back.
        broken =
          isStorageError(error) || sqlState(error) !== undefined
            ? await rollback(client)
            : asError(error);
        if (isStorageError(error)) throw error;
        if (broken !== undefined || sqlState(error) !== UNIQUE_VIOLATION) {
          throw backendError(action, error);
        }
        if (attempt === MAX_ATTEMPTS) {
          throw StorageError.conflict(
            `${action}: its next version was taken by another writer ${attempt} times in a row`,
            { cause: error },
          );
        }
      }
    }
  } finally {
    deadline.dispose();
    if (broken === undefined) client.off('error', noop);
    client.release(broken);
  }
}
