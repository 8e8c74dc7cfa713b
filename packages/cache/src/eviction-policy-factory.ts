import type { EvictionPolicyFactory, EvictionPolicyName } from './eviction-policy.js';
import { LruPolicy } from './lru-policy.js';
import { WindowTinyLfuPolicy } from './window-tinylfu-policy.js';

/**
 * The factory of the policy named `name` for a store of at most `maxEntries`
 * entries: how the cache builds its eviction policy outside the store.
 */
export function evictionPolicyFor(
  name: EvictionPolicyName,
  maxEntries: number,
): EvictionPolicyFactory {
  return name === 'lru'
    ? (capacity) => new LruPolicy(capacity)
    : (capacity) => new WindowTinyLfuPolicy(maxEntries, capacity);
}
