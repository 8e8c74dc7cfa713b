import { afterEach, describe, expect, it, vi } from 'vitest';
import { EntryStore } from '../src/entry-store.js';
import { evictionPolicyFor } from '../src/eviction-policy-factory.js';
import { FrequencySketch } from '../src/frequency-sketch.js';
import { Freshness } from '../src/freshness.js';
import { hashKey } from '../src/key-hash.js';

/**
 * W-TinyLFU written as plainly as possible: segments as arrays of keys in LRU
 * order, and the real sketch incremented on every use. The policy must make
 * the same decisions with its slot lists and its shortcuts (it skips the
 * sketch for a key whose counters it knows are saturated).
 */
class PlainWindowTinyLfu {
  readonly evicted: string[] = [];
  readonly #maxEntries: number;
  readonly #windowMax: number;
  readonly #protectedMax: number;
  readonly #sketch: FrequencySketch;
  readonly #window: string[] = [];
  readonly #probation: string[] = [];
  readonly #protected: string[] = [];
  #candidate: string | undefined;
  #newest: string | undefined;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
    this.#windowMax = Math.max(1, Math.round(maxEntries * 0.01));
    this.#protectedMax = Math.round((maxEntries - this.#windowMax) * 0.8);
    this.#sketch = new FrequencySketch(maxEntries);
  }

  get size(): number {
    return this.#window.length + this.#probation.length + this.#protected.length;
  }

  has(key: string): boolean {
    return [this.#window, this.#probation, this.#protected].some((list) => list.includes(key));
  }

  /** A read: a hit touches the key, a miss inserts it; returns whether it hit. */
  read(key: string): boolean {
    this.#sketch.increment(hashKey(key));
    if (this.#window.includes(key)) {
      moveToBack(this.#window, key);
      return true;
    }
    if (this.#probation.includes(key)) {
      remove(this.#probation, key);
      this.#protected.push(key);
      if (this.#protected.length > this.#protectedMax) {
        this.#probation.push(this.#protected.shift() as string);
      }
      return true;
    }
    if (this.#protected.includes(key)) {
      moveToBack(this.#protected, key);
      return true;
    }
    this.#newest = key;
    this.#window.push(key);
    if (this.#window.length > this.#windowMax) {
      this.#candidate = this.#window.shift() as string;
      this.#probation.push(this.#candidate);
    }
    if (this.size > this.#maxEntries) this.#evict(this.#victim());
    return false;
  }

  delete(key: string): void {
    for (const list of [this.#window, this.#probation, this.#protected]) remove(list, key);
    if (this.#candidate === key) this.#candidate = undefined;
    if (this.#newest === key) this.#newest = undefined;
  }

  #victim(): string {
    const candidate = this.#candidate;
    this.#candidate = undefined;
    const victim = [this.#probation, this.#protected, this.#window]
      .map((list) => list[0])
      .find((first) => first !== undefined && first !== candidate && first !== this.#newest);
    if (candidate === undefined) return victim as string;
    if (victim === undefined) return candidate;
    const candidateFrequency = this.#sketch.frequency(hashKey(candidate));
    const victimFrequency = this.#sketch.frequency(hashKey(victim));
    if (candidateFrequency >= victimFrequency) return victim;
    const admitted = candidateFrequency >= 6 && Math.floor(Math.random() * 128) === 0;
    return admitted ? victim : candidate;
  }

  #evict(key: string): void {
    this.delete(key);
    this.evicted.push(key);
  }
}

function remove(list: string[], key: string): void {
  const index = list.indexOf(key);
  if (index !== -1) list.splice(index, 1);
}

function moveToBack(list: string[], key: string): void {
  remove(list, key);
  list.push(key);
}

/** mulberry32: a small seeded generator, so both runs see the same randomness. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Reads skewed towards a hot core, with a one-off key now and then and a few deletes. */
function workload(seed: number, length: number): Array<{ read: string } | { delete: string }> {
  const random = seeded(seed);
  return Array.from({ length }, (_, step) => {
    const roll = random();
    if (roll < 0.02) return { delete: `k${Math.floor(random() * 120)}` };
    if (roll < 0.2) return { read: `once${step}` };
    return { read: `k${Math.floor(random() ** 3 * 120)}` };
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('WindowTinyLfuPolicy', () => {
  it.each([1, 2, 3])('decides as plain W-TinyLFU does (seed %i)', (seed) => {
    // Below 64 entries the store never grows, so the sketch is never rebuilt;
    // 20,000 steps halve its counts a few dozen times.
    const maxEntries = 50;
    const steps = workload(seed, 20_000);

    const random = vi.spyOn(Math, 'random');
    random.mockImplementation(seeded(seed));
    const evicted: string[] = [];
    const store = new EntryStore<string, string>(
      maxEntries,
      0,
      new Freshness({}),
      evictionPolicyFor('w-tinylfu', maxEntries),
      {
        wants: () => true,
        removed: (key, cause) => {
          if (cause === 'evicted') evicted.push(key);
        },
      },
    );
    const hits: boolean[] = [];
    for (const step of steps) {
      if ('delete' in step) store.delete(step.delete, 'invalidated');
      else if (store.hit(step.read, 0) !== undefined) hits.push(true);
      else {
        store.set(step.read, step.read, 0, 1e12);
        hits.push(false);
      }
    }

    random.mockImplementation(seeded(seed));
    const plain = new PlainWindowTinyLfu(maxEntries);
    const plainHits: boolean[] = [];
    for (const step of steps) {
      if ('delete' in step) plain.delete(step.delete);
      else plainHits.push(plain.read(step.read));
    }

    expect(evicted.length).toBeGreaterThan(1_000);
    expect(evicted).toEqual(plain.evicted);
    expect(hits).toEqual(plainHits);
  });
});
