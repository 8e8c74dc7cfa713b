import type { SeededRandom } from './prng.js';

/**
 * Draws ranks `0 … n-1` with probability proportional to `1 / (rank + 1)^s`
 * (a Zipf distribution; rank 0 is the hottest key).
 *
 * Algorithm: inverse transform sampling over the exact cumulative
 * distribution. The constructor tabulates the unnormalised CDF once (O(n)
 * memory, a `Float64Array`); each draw takes a uniform `u` in `[0, 1)` and
 * binary-searches for the first rank whose cumulative weight exceeds
 * `u × total` (O(log n)). Exact for any `s`, unlike rejection-based
 * approximations, and cheap enough for n = 100,000 and millions of draws.
 */
export class ZipfSampler {
  readonly #cumulative: Float64Array;
  readonly #total: number;

  /**
   * @param n - how many ranks, at least 1.
   * @param exponent - `s`, at least 0 (0 is uniform).
   * @throws {RangeError} for a non-integer or non-positive `n` or a negative `s`.
   */
  constructor(n: number, exponent: number) {
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`Expected \`n\` to be an integer >= 1, got ${n}`);
    }
    if (!(exponent >= 0) || !Number.isFinite(exponent)) {
      throw new RangeError(`Expected \`exponent\` to be a finite number >= 0, got ${exponent}`);
    }
    this.#cumulative = new Float64Array(n);
    let total = 0;
    for (let rank = 0; rank < n; rank++) {
      total += (rank + 1) ** -exponent;
      this.#cumulative[rank] = total;
    }
    this.#total = total;
  }

  /** How many ranks there are. */
  get size(): number {
    return this.#cumulative.length;
  }

  /** The probability of drawing `rank`. */
  probability(rank: number): number {
    const below = rank === 0 ? 0 : (this.#cumulative[rank - 1] as number);
    return ((this.#cumulative[rank] as number) - below) / this.#total;
  }

  /**
   * The probability mass of the `k` hottest ranks: the hit ratio of an optimal
   * static cache holding exactly those `k` keys, the best any cache of `k`
   * entries can do on an independent stream from this distribution.
   */
  topMass(k: number): number {
    if (k <= 0) return 0;
    return (this.#cumulative[Math.min(k, this.size) - 1] as number) / this.#total;
  }

  /** One rank drawn with `random`. */
  sample(random: SeededRandom): number {
    const target = random.nextFloat() * this.#total;
    const cumulative = this.#cumulative;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] as number) > target) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}
