export { AgentId } from './agent-id.js';
export type { CacheSource, LoadOptions } from './cache-source.js';
export { describeValue } from './describe-value.js';
export { type IdTypeName, InvalidIdError, isInvalidIdError } from './invalid-id-error.js';
export type { InvalidationSink } from './invalidation-sink.js';
export {
  type EnforcementMode,
  POLICY_LIMITS,
  type PolicyDecision,
  type PolicyDocument,
  type PolicyRule,
  parsePolicyDocument,
  policyDocumentSchema,
  policyRuleSchema,
} from './policy-document.js';
export { asCacheSource, type PolicyStore } from './policy-store.js';
export { type BackoffBounds, reconnectDelay } from './reconnect-delay.js';
export { SessionId } from './session-id.js';
export {
  isStorageError,
  STORAGE_ERROR_CODES,
  StorageError,
  type StorageErrorCode,
  type StorageErrorKind,
} from './storage-error.js';
export type { UuidIdCodec } from './uuid-id.js';
