/**
 * `error` itself when it is an `Error`, else an `Error` saying what was thrown:
 * for a `catch` that must hand on an `Error` (a `cause`, a rejection, a pool's
 * `release(error)`) whatever user code threw.
 *
 * @example
 * try { await client.query('ROLLBACK'); } catch (error) { client.release(asError(error)); }
 */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
