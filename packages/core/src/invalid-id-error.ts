const INVALID_ID_ERROR_CODE = 'AA_INVALID_ID';

/** The id types whose text or bytes {@link InvalidIdError} reports on. */
export type IdTypeName = 'AgentId' | 'SessionId' | 'OrgId' | 'TenantAgentKey';

/**
 * Thrown when text or bytes cannot become an id: wrong byte length, malformed
 * UUID text, or a value of the wrong type. A `TypeError`, since the caller
 * passed an argument of the wrong shape; `code` is stable across releases.
 */
export class InvalidIdError extends TypeError {
  override readonly name = 'InvalidIdError';
  /** Stable machine-readable code. */
  readonly code = INVALID_ID_ERROR_CODE;
  /** Which id type was being built. */
  readonly idType: IdTypeName;

  constructor(idType: IdTypeName, message: string) {
    super(message);
    this.idType = idType;
  }
}

/**
 * Whether `value` is an {@link InvalidIdError}, by its `code` rather than
 * `instanceof`, so it also recognises errors from another copy of this package.
 */
export function isInvalidIdError(value: unknown): value is InvalidIdError {
  return value instanceof Error && (value as { code?: unknown }).code === INVALID_ID_ERROR_CODE;
}
