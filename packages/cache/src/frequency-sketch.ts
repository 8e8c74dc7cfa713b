const DEPTH = 4;
const COUNTERS_PER_WORD = 8;
const MAX_COUNT = 15;
// Halving every 4-bit counter at once: shift right, then clear the bit that
// crossed in from the neighbouring counter.
const HALVE_MASK = 0x7777_7777;
const SEEDS = [0x97cb_3127, 0x4f1b_bcdd, 0x2c1b_3c6d, 0x9e37_79b9] as const;
// Keeps `word << 5` within a signed 32-bit integer (and the table at 256 MiB).
const MAX_WORDS = 2 ** 26;

/**
 * An approximate count of how often each key was seen recently: a count-min
 * sketch of 4-bit counters (TinyLFU; Caffeine's `FrequencySketch`). Each key
 * maps to four counters; its estimate is the smallest. After `sampleSize`
 * increments every counter is halved, so old popularity fades and the sketch
 * tracks what is popular now. Memory: about 8 bytes per cache entry.
 */
export class FrequencySketch {
  readonly #table: Uint32Array;
  readonly #mask: number;
  readonly #sampleSize: number;
  #additions = 0;

  /** @param maxEntries - the cache's bound; the sketch is sized for it. */
  constructor(maxEntries: number) {
    const words = nextPowerOfTwo(Math.max(16, Math.ceil((maxEntries * 16) / COUNTERS_PER_WORD)));
    this.#table = new Uint32Array(Math.min(words, MAX_WORDS));
    this.#mask = this.#table.length - 1;
    this.#sampleSize = 10 * maxEntries;
  }

  /** The estimated recent frequency of the key with `hash`, from 0 to 15. */
  frequency(hash: number): number {
    let frequency = MAX_COUNT;
    for (let row = 0; row < DEPTH; row++) {
      const spot = this.#spot(hash, row);
      const count = ((this.#table[spot >>> 5] as number) >>> (spot & 31)) & MAX_COUNT;
      if (count < frequency) frequency = count;
    }
    return frequency;
  }

  /** Records one more sighting of the key with `hash`. */
  increment(hash: number): void {
    let added = false;
    for (let row = 0; row < DEPTH; row++) {
      const spot = this.#spot(hash, row);
      const word = spot >>> 5;
      const shift = spot & 31;
      const value = this.#table[word] as number;
      if (((value >>> shift) & MAX_COUNT) < MAX_COUNT) {
        this.#table[word] = value + (1 << shift);
        added = true;
      }
    }
    if (added && ++this.#additions >= this.#sampleSize) this.#halve();
  }

  /** Forgets every count. */
  clear(): void {
    this.#table.fill(0);
    this.#additions = 0;
  }

  /** Word index × 32 + bit offset of the key's counter in `row`. */
  #spot(hash: number, row: number): number {
    let mixed = Math.imul(hash ^ (SEEDS[row] as number), 0x9e37_79b1);
    mixed ^= mixed >>> 15;
    const word = (mixed >>> 3) & this.#mask;
    return (word << 5) | ((mixed & 7) << 2);
  }

  #halve(): void {
    for (let word = 0; word < this.#table.length; word++) {
      this.#table[word] = ((this.#table[word] as number) >>> 1) & HALVE_MASK;
    }
    this.#additions >>>= 1;
  }
}

function nextPowerOfTwo(value: number): number {
  return 2 ** Math.ceil(Math.log2(value));
}
