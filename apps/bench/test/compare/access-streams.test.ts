import { describe, expect, it } from 'vitest';
import { ONE_OFF, scanMixStream, zipfStream } from '../../src/compare/access-streams.js';
import { replayLru } from '../../src/compare/lru-simulator.js';

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
