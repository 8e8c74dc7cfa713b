import { describe, expect, it } from 'vitest';
import { randomInt, seededRandom, zipfSampler } from '../../src/soak/random.js';

const draw = (next: () => number, count: number) => Array.from({ length: count }, next);

/** How often each of `0..size - 1` occurs in `values`. */
function tally(values: readonly number[], size: number): number[] {
  const counts = new Array<number>(size).fill(0);
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

describe('seededRandom()', () => {
  it('repeats its sequence for a seed, and differs between seeds', () => {
    expect(draw(seededRandom(7), 100)).toEqual(draw(seededRandom(7), 100));
    expect(draw(seededRandom(7), 100)).not.toEqual(draw(seededRandom(8), 100));
  });

  it('draws uniformly from [0, 1)', () => {
    const samples = draw(seededRandom(1), 100_000);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(1);
    const mean = samples.reduce((sum, sample) => sum + sample, 0) / samples.length;
    expect(mean).toBeCloseTo(0.5, 2);
    const deciles = tally(
      samples.map((sample) => Math.floor(sample * 10)),
      10,
    );
    for (const decile of deciles) expect(decile).toBeGreaterThan(9_500);
  });

  it('draws whole numbers below a bound with randomInt()', () => {
    const random = seededRandom(3);
    const seen = new Set(draw(() => randomInt(random, 6), 1_000));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('zipfSampler()', () => {
  it('draws rank r about 1/(r+1) as often as rank 0 with s = 1', () => {
    const next = zipfSampler(1_000, 1, seededRandom(11));
    const counts = tally(draw(next, 200_000), 1_000);
    const top = counts[0] as number;
    expect((counts[1] as number) / top).toBeCloseTo(1 / 2, 1);
    expect((counts[3] as number) / top).toBeCloseTo(1 / 4, 1);
    expect((counts[9] as number) / top).toBeCloseTo(1 / 10, 1);
    // Rank 0 takes 1 / H(1000) ≈ 13.4 % of draws.
    expect(top / 200_000).toBeCloseTo(0.134, 1);
  });

  it('is uniform with s = 0 and stays within its ranks', () => {
    const next = zipfSampler(4, 0, seededRandom(5));
    const counts = tally(draw(next, 40_000), 4);
    for (const count of counts) expect(count).toBeGreaterThan(9_500);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(40_000);
  });

  it('always draws rank 0 from a space of one', () => {
    const next = zipfSampler(1, 1, seededRandom(5));
    expect(new Set(draw(next, 100))).toEqual(new Set([0]));
  });

  it.each([
    [0, 1],
    [1.5, 1],
    [10, -1],
    [10, Number.NaN],
  ])('rejects n = %d, s = %d', (n, s) => {
    expect(() => zipfSampler(n, s, seededRandom(1))).toThrow(RangeError);
  });
});
