import type { EvictionPolicy } from './eviction-policy.js';
import { SlotLists } from './slot-lists.js';

const RECENCY = 0;

/**
 * Least recently used: one recency list, the front is the victim. Cheap and
 * predictable, but a scan of one-off keys flushes the whole cache.
 */
export class LruPolicy implements EvictionPolicy {
  readonly #recency: SlotLists;

  constructor(capacity: number) {
    this.#recency = new SlotLists(1, capacity);
  }

  onInsert(slot: number): void {
    this.#recency.pushBack(RECENCY, slot);
  }

  onAccess(slot: number): void {
    this.#recency.moveToBack(RECENCY, slot);
  }

  onUpdate(slot: number): void {
    this.#recency.moveToBack(RECENCY, slot);
  }

  onRemove(slot: number): void {
    this.#recency.remove(slot);
  }

  victim(): number {
    return this.#recency.first(RECENCY);
  }

  grow(capacity: number): void {
    this.#recency.grow(capacity);
  }

  clear(): void {
    this.#recency.clear();
  }
}
