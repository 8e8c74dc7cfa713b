import { StorageError } from '@aa/core';

// SQLSTATEs that mean "migrate() has not run for this schema" rather than a
// failing server: said so in the message, since the fix is on the caller's side.
const MISSING_RELATION = new Set(['42P01', '3F000']);

/** The SQLSTATE of a server error (`'23505'`, …), or `undefined` for anything else. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * A `Backend` {@link StorageError} for a driver or server failure while doing
 * `action`, with the driver's error as `cause` and its message (and SQLSTATE or
 * socket error code) in the detail, so a log line says what failed without
 * unwrapping the cause.
 *
 * @example
 * throw backendError(`reading the policy of agent ${id}`, error);
 * // StorageError: Backend: reading the policy of agent …: connect ECONNREFUSED 127.0.0.1:1 (ECONNREFUSED)
 */
export function backendError(action: string, error: unknown): StorageError<'Backend'> {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const shownCode = typeof code === 'string' && code !== '' ? ` (${code})` : '';
  const state = sqlState(error);
  const hint =
    state !== undefined && MISSING_RELATION.has(state)
      ? '; has migrate() run for this schema?'
      : '';
  return StorageError.backend(`${action}: ${message || 'unknown error'}${shownCode}${hint}`, {
    cause: error,
  });
}
