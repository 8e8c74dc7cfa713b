import { describe, expect, it } from 'vitest';
import { ONE_OFF, scanMixStream, zipfStream } from '../../src/compare/access-streams.js';
import { replayLru } from '../../src/compare/lru-simulator.js';
import { SeededRandom } from '../../src/compare/random.js';
import { ZipfSampler } from '../../src/compare/zipf.js';

describe('SeededRandom', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const draw = (seed: number) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 5 }, () => random.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('draws floats in [0, 1) with a mean near 1/2', () => {
    const random = new SeededRandom(7);
    const draws = Array.from({ length: 10_000 }, () => random.nextFloat());
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(draws.reduce((sum, value) => sum + value, 0) / draws.length).toBeCloseTo(0.5, 1);
  });
});

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
    const random = new SeededRandom(1);
    const counts = new Float64Array(100);
    const draws = 100_000;
    for (let draw = 0; draw < draws; draw++) {
      const rank = sampler.sample(random);
      counts[rank] = (counts[rank] ?? 0) + 1;
    }
    for (const rank of [0, 1, 9, 99]) {
      const expected = sampler.probability(rank) * draws;
      // Well within five standard deviations of a binomial count.
      expect(Math.abs((counts[rank] as number) - expected)).toBeLessThan(5 * Math.sqrt(expected));
    }
  });

  it('rejects a sampler it cannot build', () => {
    expect(() => new ZipfSampler(0, 0.9)).toThrow(RangeError);
    expect(() => new ZipfSampler(10, -1)).toThrow(RangeError);
  });
});

describe('access streams', () => {
  const settings = { keys: 1_000, gets: 500, exponent: 0.9, seed: 5 };
  // Compared as strings: one cheap comparison instead of one per element.
  const text = (stream: Int32Array) => stream.join(',');

  it('draws the same Zipf stream for the same settings, and another for another seed', () => {
    expect(text(zipfStream(settings))).toBe(text(zipfStream(settings)));
    expect(text(zipfStream({ ...settings, seed: 6 }))).not.toBe(text(zipfStream(settings)));
  });

  it('mixes in exactly as many one-off keys, keeping the Zipf ranks in order', () => {
    const mixed = scanMixStream(settings);
    expect(mixed).toHaveLength(1_000);
    expect(mixed.filter((rank) => rank === ONE_OFF)).toHaveLength(500);
    expect(text(mixed.filter((rank) => rank !== ONE_OFF))).toBe(text(zipfStream(settings)));
  });
});

describe('replayLru()', () => {
  it('hits what an LRU of the capacity still holds', () => {
    // Capacity 2: 0 1 0 (hit) 2 (evicts 1) 1 (miss, evicts 0) 0 (miss)
    const result = replayLru(Int32Array.from([0, 1, 0, 2, 1, 0]), 2);
    expect(result.hitRatio).toBeCloseTo(1 / 6);
  });

  it('never hits a one-off key, and counts only hot gets in the hot ratio', () => {
    const result = replayLru(Int32Array.from([0, ONE_OFF, 0, ONE_OFF]), 10);
    expect(result).toEqual({ hotHitRatio: 0.5, hitRatio: 0.25 });
  });
});
