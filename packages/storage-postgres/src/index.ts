export {
  INVALIDATION_ERROR_CODES,
  InvalidationError,
  type InvalidationErrorCode,
  isInvalidationError,
  SUBSCRIBER_DEFAULTS,
  type SubscriberState,
  type SubscriberStats,
} from '@aa/invalidation';
export { type MigrateOptions, migrate } from './migrate.js';
export { PgInvalidationSubscriber } from './pg-invalidation-subscriber.js';
export { PgPolicyStore, type PgWriteOptions } from './pg-policy-store.js';
export { DEFAULT_PG_URL, pgUrlFromEnv } from './pg-url.js';
export { checkChannelName, policyChannel } from './policy-channel.js';
export { checkSchemaName, DEFAULT_SCHEMA, MAX_SCHEMA_NAME_LENGTH } from './schema-name.js';
export { PG_POLICY_STORE_DEFAULTS, type PgPolicyStoreOptions } from './store-options.js';
export type { PgInvalidationSubscriberOptions } from './subscriber-options.js';
