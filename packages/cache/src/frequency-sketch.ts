const MAX_COUNT = 15;
// Halving every 4-bit counter at once: shift right, then clear the bit that
// crossed in from the neighbouring counter.
const HALVE_MASK = 0x7777_7777;
// Keeps the table at 256 MiB at most, however large the cache's bound, and the
// index plus counter bits within 32.
const MAX_INDEX_BITS = 26;
const MIN_INDEX_BITS = 4;
// One odd multiplier per row: each spreads the key's hash to an independent
// counter (multiplicative hashing; the top bits of the product are the best).
const ROW_1 = 0x9e37_79b1;
const ROW_2 = 0x85eb_ca6b;
const ROW_3 = 0xc2b2_ae35;
const ROW_4 = 0x27d4_eb2f;

/**
 * An approximate count of how often each key was seen recently: a count-min
 * sketch of 4-bit counters, four rows (TinyLFU; Caffeine's `FrequencySketch`).
 * A key's estimate is the smallest of its four counters, and after
 * `10 × maxEntries` increments every counter is halved, so old popularity fades
 * and the sketch tracks what is popular now. Memory: about 8 bytes per entry of
 * the cache's bound.
 *
 * The four rows are written out rather than looped over: `increment` runs on
 * every cache hit, and the unrolled form keeps it to a few nanoseconds.
 */
export class FrequencySketch {
  readonly #table: Uint32Array;
  readonly #indexShift: number;
  readonly #sampleSize: number;
  #additions = 0;

  readonly #onHalve: () => void;

  /**
   * @param maxEntries - the cache's bound; the sketch is sized for it.
   * @param onHalve - called after every counter has been halved (not on `clear`).
   */
  constructor(maxEntries: number, onHalve: () => void = () => {}) {
    this.#onHalve = onHalve;
    const words = Math.max(1, maxEntries * 2);
    const bits = Math.min(MAX_INDEX_BITS, Math.max(MIN_INDEX_BITS, Math.ceil(Math.log2(words))));
    this.#table = new Uint32Array(2 ** bits);
    this.#indexShift = 32 - bits;
    this.#sampleSize = 10 * maxEntries;
  }

  /** The estimated recent frequency of the key with `hash`, from 0 to 15. */
  frequency(hash: number): number {
    return Math.min(
      this.#count(Math.imul(hash, ROW_1)),
      this.#count(Math.imul(hash, ROW_2)),
      this.#count(Math.imul(hash, ROW_3)),
      this.#count(Math.imul(hash, ROW_4)),
    );
  }

  /**
   * Records one more sighting of the key with `hash`. Returns `false` when its
   * four counters were all saturated, so nothing changed: further increments
   * of that key change nothing either until the counters are halved or cleared.
   */
  increment(hash: number): boolean {
    const added =
      this.#bump(Math.imul(hash, ROW_1)) |
      this.#bump(Math.imul(hash, ROW_2)) |
      this.#bump(Math.imul(hash, ROW_3)) |
      this.#bump(Math.imul(hash, ROW_4));
    if (added === 0) return false;
    if (++this.#additions >= this.#sampleSize) this.#halve();
    return true;
  }

  /** Forgets every count. */
  clear(): void {
    this.#table.fill(0);
    this.#additions = 0;
  }

  // A row's product picks the word with its top bits and the counter in the
  // word with the three bits below them.
  #count(product: number): number {
    const word = this.#table[product >>> this.#indexShift] as number;
    return (word >>> (((product >>> (this.#indexShift - 3)) & 7) << 2)) & MAX_COUNT;
  }

  /** Increments the counter `product` picks unless it is saturated; 1 if it did. */
  #bump(product: number): number {
    const index = product >>> this.#indexShift;
    const shift = ((product >>> (this.#indexShift - 3)) & 7) << 2;
    const word = this.#table[index] as number;
    if (((word >>> shift) & MAX_COUNT) === MAX_COUNT) return 0;
    this.#table[index] = word + 2 ** shift;
    return 1;
  }

  #halve(): void {
    for (let index = 0; index < this.#table.length; index++) {
      this.#table[index] = ((this.#table[index] as number) >>> 1) & HALVE_MASK;
    }
    this.#additions >>>= 1;
    this.#onHalve();
  }
}
