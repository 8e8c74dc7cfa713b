/**
 * The four ways a storage backend can fail:
 * - `NotFound`: the key has no value (an agent without a policy);
 * - `Backend`: the backend is unreachable or the transport failed;
 * - `Serialization`: stored bytes do not decode into the expected shape;
 * - `Conflict`: an optimistic-concurrency or uniqueness violation.
 */
export type StorageErrorKind = 'NotFound' | 'Backend' | 'Serialization' | 'Conflict';

/** The stable `code` of each {@link StorageErrorKind}, safe to match on in logs and alerts. */
export const STORAGE_ERROR_CODES = {
  NotFound: 'AA_STORAGE_NOT_FOUND',
  Backend: 'AA_STORAGE_BACKEND',
  Serialization: 'AA_STORAGE_SERIALIZATION',
  Conflict: 'AA_STORAGE_CONFLICT',
} as const satisfies Record<StorageErrorKind, string>;

/** The stable code carried by a {@link StorageError} of kind `K`. */
export type StorageErrorCode<K extends StorageErrorKind = StorageErrorKind> =
  (typeof STORAGE_ERROR_CODES)[K];

// A registry symbol, not a module-local one, so two copies of @aa/core in one
// process (a duplicated dependency) still recognise each other's errors.
const STORAGE_ERROR_BRAND = Symbol.for('@aa/core/StorageError');

/**
 * The one error type every storage backend throws. Adapters turn any driver
 * failure into a `StorageError` of the right kind, keeping the driver's error as
 * ES2022 `cause`.
 *
 * @example
 * throw StorageError.backend('connection refused', { cause: pgError });
 */
export class StorageError<K extends StorageErrorKind = StorageErrorKind> extends Error {
  override readonly name = 'StorageError';
  /** What went wrong, as one of four kinds. */
  readonly kind: K;
  /** Stable machine-readable code derived from `kind`. */
  readonly code: StorageErrorCode<K>;
  /** Human-readable detail for logs, without the kind prefix. */
  readonly detail: string;

  constructor(kind: K, detail: string, options?: ErrorOptions) {
    super(`${kind}: ${detail}`, options);
    this.kind = kind;
    this.code = STORAGE_ERROR_CODES[kind];
    this.detail = detail;
    Object.defineProperty(this, STORAGE_ERROR_BRAND, { value: true });
  }

  /**
   * What `instanceof` checks, unchanged (the prototype chain), declared so that
   * TypeScript narrows `error instanceof StorageError` to a `StorageError` of
   * any kind rather than `StorageError<any>`.
   */
  static override [Symbol.hasInstance](value: unknown): value is StorageError {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class instanceof was asked about, a subclass included.
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /** A `NotFound` error: the key has no value. */
  static notFound(detail: string, options?: ErrorOptions): StorageError<'NotFound'> {
    return new StorageError('NotFound', detail, options);
  }

  /** A `Backend` error: the backend is unreachable or the transport failed. */
  static backend(detail: string, options?: ErrorOptions): StorageError<'Backend'> {
    return new StorageError('Backend', detail, options);
  }

  /** A `Serialization` error: stored data does not decode. */
  static serialization(detail: string, options?: ErrorOptions): StorageError<'Serialization'> {
    return new StorageError('Serialization', detail, options);
  }

  /** A `Conflict` error: an optimistic-concurrency or uniqueness violation. */
  static conflict(detail: string, options?: ErrorOptions): StorageError<'Conflict'> {
    return new StorageError('Conflict', detail, options);
  }
}

/**
 * Whether `value` is a {@link StorageError} (of `kind`, when given). Works without
 * `instanceof`, so errors from another copy of `@aa/core` are recognised too.
 *
 * @example
 * if (isStorageError(error, 'NotFound')) return defaultPolicy;
 */
export function isStorageError<K extends StorageErrorKind = StorageErrorKind>(
  value: unknown,
  kind?: K,
): value is StorageError<K> {
  if (typeof value !== 'object' || value === null) return false;
  try {
    if ((value as Record<symbol, unknown>)[STORAGE_ERROR_BRAND] !== true) return false;
    return kind === undefined || (value as { kind?: unknown }).kind === kind;
  } catch {
    // A rejection reason may be a hostile Proxy; a guard must answer, not throw.
    return false;
  }
}
