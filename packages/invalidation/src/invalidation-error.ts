/** Stable codes of the errors an invalidation subscriber or publisher raises or reports. */
export const INVALIDATION_ERROR_CODES = Object.freeze({
  /** A connection attempt failed or a live connection was lost; the subscriber is reconnecting. */
  Connection: 'AA_INVALIDATION_CONNECTION',
  /** A wait passed its deadline (connecting, a read, a heartbeat, a publish, a sink). */
  Timeout: 'AA_INVALIDATION_TIMEOUT',
  /** An event that is not an invalidation; the subscriber cleared its sinks instead. */
  Malformed: 'AA_INVALIDATION_MALFORMED',
  /** A sink threw, rejected or timed out; the subscriber cleared that sink. */
  Sink: 'AA_INVALIDATION_SINK',
  /** A publish that could not be confirmed: the change may not reach every subscriber. */
  Unconfirmed: 'AA_INVALIDATION_UNCONFIRMED',
  /** The subscriber or publisher was closed. */
  Closed: 'AA_INVALIDATION_CLOSED',
});

/** One of {@link INVALIDATION_ERROR_CODES}. */
export type InvalidationErrorCode =
  (typeof INVALIDATION_ERROR_CODES)[keyof typeof INVALIDATION_ERROR_CODES];

const CODES: ReadonlySet<unknown> = new Set(Object.values(INVALIDATION_ERROR_CODES));

/**
 * An error of an invalidation transport, with a stable `code` and the
 * underlying error (a driver's, a sink's) as ES2022 `cause`. A subscriber never
 * throws these at its caller (it hands them to `onError`), except as the
 * rejection of `ready`/`start()` when it is closed first; a publisher rejects
 * with them.
 */
export class InvalidationError extends Error {
  override readonly name = 'InvalidationError';
  /** Stable machine-readable code. */
  readonly code: InvalidationErrorCode;

  /**
   * @param code - one of {@link INVALIDATION_ERROR_CODES}.
   * @param message - what happened, and what was done about it.
   */
  constructor(code: InvalidationErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  /**
   * `instanceof` by code rather than by prototype, so an error from another
   * copy of this package (a second install, a bundle) is recognised too.
   */
  static override [Symbol.hasInstance](value: unknown): value is InvalidationError {
    return isInvalidationError(value);
  }
}

/**
 * Whether `value` is an {@link InvalidationError} (with `code`, when given),
 * checked by `name` and code, so it also recognises errors from another copy of
 * this package.
 *
 * @example
 * onError: (error) => {
 *   if (isInvalidationError(error, INVALIDATION_ERROR_CODES.Malformed)) alert(error);
 * }
 */
export function isInvalidationError(
  value: unknown,
  code?: InvalidationErrorCode,
): value is InvalidationError {
  if (!(value instanceof Error) || value.name !== 'InvalidationError') return false;
  const actual = (value as { code?: unknown }).code;
  return code === undefined ? CODES.has(actual) : actual === code;
}
