export { type Clock, monotonicClock } from './clock.js';
export { L1Cache } from './l1-cache.js';
export { L1_CACHE_DEFAULTS, type L1CacheOptions } from './options.js';
