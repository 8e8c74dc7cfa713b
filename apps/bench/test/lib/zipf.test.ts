import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/lib/prng.js';
import { ZipfSampler } from '../../src/lib/zipf.js';

/** How often each rank of `sampler` comes up in `draws` draws from `seed`. */
function tally(sampler: ZipfSampler, draws: number, seed: number): Float64Array {
  const random = new SeededRandom(seed);
  const counts = new Float64Array(sampler.size);
  for (let draw = 0; draw < draws; draw++) {
    const rank = sampler.sample(random);
    counts[rank] = (counts[rank] ?? 0) + 1;
  }
  return counts;
}

describe('ZipfSampler', () => {
  it('gives the optimal static hit ratio the issue quotes for 1,000 of 100,000 keys at s = 0.9', () => {
    expect(new ZipfSampler(100_000, 0.9).topMass(1_000)).toBeCloseTo(0.474, 3);
  });

  it('has probabilities that fall with rank as (rank + 1)^-s and sum to 1', () => {
    const sampler = new ZipfSampler(1_000, 0.9);
    expect(sampler.probability(0) / sampler.probability(9)).toBeCloseTo(10 ** 0.9, 9);
    expect(sampler.topMass(1_000)).toBeCloseTo(1, 12);
    expect(sampler.topMass(0)).toBe(0);
  });

  it('draws each rank about as often as its probability says', () => {
    const sampler = new ZipfSampler(100, 0.9);
    const draws = 100_000;
    const counts = tally(sampler, draws, 1);
    for (const rank of [0, 1, 9, 99]) {
      const expected = sampler.probability(rank) * draws;
      // Well within five standard deviations of a binomial count.
      expect(Math.abs((counts[rank] as number) - expected)).toBeLessThan(5 * Math.sqrt(expected));
    }
  });

  it('is uniform with s = 0, and always draws rank 0 from a space of one', () => {
    const counts = tally(new ZipfSampler(4, 0), 40_000, 5);
    for (const count of counts) expect(count).toBeGreaterThan(9_500);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(40_000);
    expect([...tally(new ZipfSampler(1, 1), 100, 5)]).toEqual([100]);
  });

  it.each([
    [0, 1],
    [1.5, 1],
    [10, -1],
    [10, Number.NaN],
  ])('rejects n = %d, s = %d', (n, s) => {
    expect(() => new ZipfSampler(n, s)).toThrow(RangeError);
  });
});
