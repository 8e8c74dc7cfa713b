import { AgentId } from '@aa/core';
import type { SeededRandom } from '../lib/prng.js';

/**
 * The soak's source of truth and its history: which agent ids exist, the
 * newest version the backend holds for each, and, per key, what the last
 * invalidation (or clear) that has completed requires of later gets.
 *
 * Time is a sequence number rather than a clock reading: every source call,
 * invalidation and clear takes the next number, so "began before" and
 * "completed before" are exact even within one millisecond.
 */
export class KeySpace {
  /** The agent ids, by key index; index = Zipf rank, 0 the hottest. */
  readonly ids: readonly AgentId[];
  readonly #indexOf: Map<AgentId, number>;
  /** Newest version held by the backend per key; 0 for an unknown agent. */
  readonly #versions: Uint32Array;
  /** Per key, the newest version committed before its last invalidation or clear. */
  readonly #floors: Uint32Array;
  /** Per key, the sequence number at which its last invalidation completed. */
  readonly #invalidatedAt: Float64Array;
  #clearedAt = 0;
  #sequence = 0;

  /**
   * @param size - how many agent ids.
   * @param random - draws the ids' bytes.
   */
  constructor(size: number, random: SeededRandom) {
    const ids: AgentId[] = [];
    const indexOf = new Map<AgentId, number>();
    const bytes = new Uint8Array(16);
    while (ids.length < size) {
      for (let index = 0; index < 16; index++) bytes[index] = random.nextInt(256);
      const id = AgentId.fromBytes(bytes);
      if (indexOf.has(id)) continue;
      indexOf.set(id, ids.length);
      ids.push(id);
    }
    this.ids = ids;
    this.#indexOf = indexOf;
    this.#versions = new Uint32Array(size);
    for (let key = 0; key < size; key++) {
      if (KeySpace.isKnown(key)) this.#versions[key] = 1;
    }
    this.#floors = new Uint32Array(size);
    this.#invalidatedAt = new Float64Array(size);
  }

  /**
   * Whether key `key` is an agent the backend knows: four in five are, spread
   * over every rank, so some hot ids are unknown too (a misconfigured client).
   */
  static isKnown(key: number): boolean {
    return key % 5 !== 4;
  }

  get size(): number {
    return this.ids.length;
  }

  /** The key index of `id`, or `undefined` for an id outside the key space. */
  indexOf(id: AgentId): number | undefined {
    return this.#indexOf.get(id);
  }

  /** The next sequence number. */
  next(): number {
    return ++this.#sequence;
  }

  /** The backend's current version of `key`; 0 when the agent is unknown. */
  version(key: number): number {
    return this.#versions[key] as number;
  }

  /** A backend write: `key` gets a new version. Unknown agents stay unknown. */
  write(key: number): void {
    if (KeySpace.isKnown(key)) this.#versions[key] = (this.#versions[key] as number) + 1;
  }

  /** Records that `cache.invalidate(key)` has just returned. */
  invalidated(key: number): void {
    this.#invalidatedAt[key] = this.next();
    this.#floors[key] = this.#versions[key] as number;
  }

  /** Records that `cache.clear()` has just returned. */
  cleared(): void {
    this.#clearedAt = this.next();
    this.#floors.set(this.#versions);
  }

  /**
   * The sequence number a load must have begun after for a get of `key`
   * starting now to be allowed its result: that of the last invalidation or
   * clear of the key to complete.
   */
  requiredSequence(key: number): number {
    return Math.max(this.#invalidatedAt[key] as number, this.#clearedAt);
  }

  /** The oldest version a get of `key` starting now may resolve with. */
  floor(key: number): number {
    return this.#floors[key] as number;
  }
}
