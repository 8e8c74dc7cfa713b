/** A source of uniform numbers in `[0, 1)`. */
export type Random = () => number;

/**
 * A seeded generator (sfc32, seeded through splitmix32), so a soak's choices
 * of keys, operations and faults repeat for a given `--seed`. Timing still
 * varies from run to run, so a seed narrows a failure down rather than
 * replaying it exactly.
 *
 * @param seed - any integer; only its low 32 bits are used.
 */
export function seededRandom(seed: number): Random {
  let mix = seed >>> 0;
  const splitmix = () => {
    mix = (mix + 0x9e37_79b9) >>> 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x85eb_ca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2_ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 2 ** 32;
  };
}

/** A whole number in `[0, bound)`. */
export function randomInt(random: Random, bound: number): number {
  return Math.floor(random() * bound);
}

/**
 * Draws ranks `0..n - 1` with probability proportional to `1 / (rank + 1)^s`
 * (Zipf's law: rank 0 is the hottest), by binary search over the cumulative
 * weights, in O(log n) per draw.
 *
 * @param n - how many ranks, at least 1.
 * @param s - the exponent, ≥ 0; 0 is uniform, ~1 is typical of request keys.
 */
export function zipfSampler(n: number, s: number, random: Random): () => number {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Expected \`n\` to be an integer >= 1, got ${n}`);
  }
  if (!Number.isFinite(s) || s < 0) {
    throw new RangeError(`Expected \`s\` to be a finite number >= 0, got ${s}`);
  }
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank++) {
    total += 1 / (rank + 1) ** s;
    cumulative[rank] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] as number) > target) high = middle;
      else low = middle + 1;
    }
    return low;
  };
}
