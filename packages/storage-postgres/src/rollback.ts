import { asError } from '@aa/core';
import type { PoolClient } from 'pg';

/**
 * Rolls back the transaction open on `client`. Returns `undefined` when that
 * worked, or the error to pass to `client.release(error)` when it did not, so
 * the pool destroys a connection whose transaction state is unknown instead of
 * handing it to the next caller.
 */
export async function rollback(client: PoolClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (error) {
    return asError(error);
  }
}
