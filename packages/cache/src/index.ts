export { type Clock, monotonicClock, TaskClock } from './clock.js';
export {
  CACHE_CHANNELS,
  type ClearEvent,
  type FailSafeEvent,
  type InvalidateEvent,
  type KeyEvent,
  type LoadEvent,
  type LoadTimeoutEvent,
  type RemovalCause,
  type RemovalEvent,
} from './diagnostics.js';
export { CACHE_ERROR_CODES, CacheDisposedError, isCacheError, LoadTimeoutError } from './errors.js';
export type { EvictionPolicyName } from './eviction-policy.js';
export type { GetOptions } from './get-options.js';
export { L1Cache } from './l1-cache.js';
export { L1_CACHE_DEFAULTS, type L1CacheOptions, MAX_DURATION_MS } from './options.js';
export { type Scheduler, systemScheduler } from './scheduler.js';
export type { CacheStats } from './stats.js';
