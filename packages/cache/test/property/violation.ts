/** Raised when the cache does something the model or the invariants cannot account for. */
export class ModelViolation extends Error {
  override readonly name = 'ModelViolation';
}
