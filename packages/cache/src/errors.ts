import { describeValue } from '@aa/core';

/** Stable codes of the errors `@aa/cache` raises itself. */
export const CACHE_ERROR_CODES = {
  LoadTimeout: 'AA_CACHE_LOAD_TIMEOUT',
  Disposed: 'AA_CACHE_DISPOSED',
} as const;

/**
 * A load did not settle within `loadTimeoutMs`. Every caller waiting on it is
 * rejected with this error, the signal handed to the source is aborted with it,
 * and a late result is discarded.
 */
export class LoadTimeoutError extends Error {
  override readonly name = 'LoadTimeoutError';
  /** Stable machine-readable code. */
  readonly code = CACHE_ERROR_CODES.LoadTimeout;
  /** The key whose load timed out. */
  readonly key: unknown;
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(key: unknown, timeoutMs: number) {
    // describeValue never throws, unlike String() on a null-prototype object:
    // a timeout must reject its callers, whatever the key.
    super(`Load of ${describeValue(key)} did not settle within ${timeoutMs} ms`);
    this.key = key;
    this.timeoutMs = timeoutMs;
  }
}

/** The cache was disposed: `get` rejects with this, and so do loads it cut short. */
export class CacheDisposedError extends Error {
  override readonly name = 'CacheDisposedError';
  /** Stable machine-readable code. */
  readonly code = CACHE_ERROR_CODES.Disposed;

  constructor(cacheName: string) {
    super(`Cache "${cacheName}" has been disposed`);
  }
}

/**
 * Whether `value` is an error raised by `@aa/cache` with `code`, checked by code
 * rather than `instanceof`, so it works across duplicated copies of the package.
 *
 * @example
 * if (isCacheError(error, CACHE_ERROR_CODES.LoadTimeout)) metrics.timeouts++;
 */
export function isCacheError<C extends (typeof CACHE_ERROR_CODES)[keyof typeof CACHE_ERROR_CODES]>(
  value: unknown,
  code: C,
): value is C extends typeof CACHE_ERROR_CODES.LoadTimeout ? LoadTimeoutError : CacheDisposedError {
  return value instanceof Error && (value as { code?: unknown }).code === code;
}
