/** Stable codes of the errors `@aa/invalidation-redis` raises or reports itself. */
export const INVALIDATION_ERROR_CODES = {
  /** A stream entry that is not an invalidation event; the subscriber cleared its sinks. */
  MalformedEntry: 'AA_INVALIDATION_MALFORMED_ENTRY',
  /** The subscriber's connection failed or dropped; it is reconnecting. */
  Connection: 'AA_INVALIDATION_CONNECTION',
  /** A sink threw (or rejected) while applying an event; the subscriber cleared that sink. */
  Sink: 'AA_INVALIDATION_SINK',
  /** `publish()` or `publishAll()` was called after `close()`. */
  Closed: 'AA_INVALIDATION_CLOSED',
} as const;

/** One of {@link INVALIDATION_ERROR_CODES}. */
export type InvalidationErrorCode =
  (typeof INVALIDATION_ERROR_CODES)[keyof typeof INVALIDATION_ERROR_CODES];

/**
 * An error of the invalidation bus itself, with a stable `code` and the
 * underlying error (a driver error, a sink's exception) as ES2022 `cause`. The
 * subscriber never throws these at anyone: it hands them to its `onError`.
 */
export class RedisInvalidationError extends Error {
  override readonly name = 'RedisInvalidationError';
  /** Stable machine-readable code. */
  readonly code: InvalidationErrorCode;
  /** The stream entry concerned, when there is one. */
  readonly entryId: string | undefined;

  constructor(
    code: InvalidationErrorCode,
    message: string,
    options?: ErrorOptions & { readonly entryId?: string | undefined },
  ) {
    super(message, options);
    this.code = code;
    this.entryId = options?.entryId;
  }
}

/**
 * Whether `value` is a {@link RedisInvalidationError} (with `code`, when given),
 * checked by code rather than `instanceof`, so it also recognises errors from
 * another copy of this package.
 *
 * @example
 * onError: (error) => {
 *   if (isRedisInvalidationError(error, INVALIDATION_ERROR_CODES.MalformedEntry)) alert(error);
 * }
 */
export function isRedisInvalidationError(
  value: unknown,
  code?: InvalidationErrorCode,
): value is RedisInvalidationError {
  if (!(value instanceof Error)) return false;
  const actual = (value as { code?: unknown }).code;
  if (code !== undefined) return actual === code;
  return (
    typeof actual === 'string' &&
    (Object.values(INVALIDATION_ERROR_CODES) as readonly string[]).includes(actual)
  );
}
