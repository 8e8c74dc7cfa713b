export {
  GLOBAL_GENERATION_KEY,
  keyHex,
  POLICY_KEY_PREFIX,
  type PolicyKeys,
  policyKeys,
} from './policy-keys.js';
export {
  type L2Generation,
  type L2Read,
  RedisPolicyCache,
} from './redis-policy-cache.js';
export {
  REDIS_POLICY_CACHE_DEFAULTS,
  type RedisPolicyCacheOptions,
} from './redis-policy-cache-options.js';
export { tieredInvalidationSink } from './tiered-invalidation-sink.js';
export {
  TieredPolicySource,
  type TieredPolicySourceOptions,
  type TieredSourceStats,
} from './tiered-policy-source.js';
