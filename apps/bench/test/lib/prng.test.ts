import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/lib/prng.js';

const floats = (random: SeededRandom, count: number) =>
  Array.from({ length: count }, () => random.nextFloat());

describe('SeededRandom', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const draw = (seed: number) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 5 }, () => random.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('draws floats uniformly from [0, 1)', () => {
    const samples = floats(new SeededRandom(1), 100_000);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(1);
    expect(samples.reduce((sum, value) => sum + value, 0) / samples.length).toBeCloseTo(0.5, 2);
    const deciles = new Array<number>(10).fill(0);
    for (const sample of samples) {
      const decile = Math.floor(sample * 10);
      deciles[decile] = (deciles[decile] ?? 0) + 1;
    }
    for (const count of deciles) expect(count).toBeGreaterThan(9_500);
  });

  it('draws every whole number below a bound with nextInt()', () => {
    const random = new SeededRandom(3);
    const seen = new Set(Array.from({ length: 1_000 }, () => random.nextInt(6)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
