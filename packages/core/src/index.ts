export { AgentId } from './agent-id.js';
export { asError } from './as-error.js';
export type { CacheSource, LoadOptions } from './cache-source.js';
export { checkOptions } from './check-options.js';
export { describeValue } from './describe-value.js';
export { type IdTypeName, InvalidIdError, isInvalidIdError } from './invalid-id-error.js';
export type { InvalidationSink } from './invalidation-sink.js';
export { isThenable } from './is-thenable.js';
export { checkInteger, checkObject, checkToken, withDefault } from './option-checks.js';
export { OrgId, SYSTEM_ORG_ID } from './org-id.js';
export {
  ENFORCEMENT_MODES,
  type EnforcementMode,
  POLICY_DECISIONS,
  POLICY_LIMITS,
  type PolicyDecision,
  type PolicyDocument,
  type PolicyRule,
} from './policy-document.js';
export {
  encodePolicyDocument,
  parsePolicyDocument,
  parsePolicyDocumentText,
} from './policy-document-codec.js';
export { asCacheSource, type PolicyStore } from './policy-store.js';
export { type BackoffBounds, reconnectDelay } from './reconnect-delay.js';
export { type Scheduler, systemScheduler } from './scheduler.js';
export { SessionId } from './session-id.js';
export {
  isStorageError,
  STORAGE_ERROR_CODES,
  StorageError,
  type StorageErrorCode,
  type StorageErrorKind,
} from './storage-error.js';
export { TenantAgentKey } from './tenant-agent-key.js';
export { tenantInvalidationSink } from './tenant-invalidation-sink.js';
export {
  type TenantPolicySource,
  type TenantPolicyStore,
  tenantPolicySource,
} from './tenant-policy-source.js';
export type { UuidIdCodec } from './uuid-id.js';
