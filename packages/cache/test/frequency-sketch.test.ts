import { describe, expect, it } from 'vitest';
import { FrequencySketch } from '../src/frequency-sketch.js';
import { hashKey } from '../src/key-hash.js';

describe('FrequencySketch', () => {
  it('estimates how often a key was seen, saturating at 15', () => {
    const sketch = new FrequencySketch(1_000);
    const hash = hashKey('agent-1');
    expect(sketch.frequency(hash)).toBe(0);
    for (let seen = 1; seen <= 20; seen++) {
      sketch.increment(hash);
      expect(sketch.frequency(hash)).toBe(Math.min(seen, 15));
    }
  });

  it('never underestimates, and keeps 1,000 keys mostly apart', () => {
    const sketch = new FrequencySketch(1_000);
    for (let key = 0; key < 1_000; key++) {
      for (let seen = 0; seen < key % 4; seen++) sketch.increment(hashKey(`k${key}`));
    }
    let exact = 0;
    for (let key = 0; key < 1_000; key++) {
      const estimate = sketch.frequency(hashKey(`k${key}`));
      expect(estimate).toBeGreaterThanOrEqual(key % 4);
      if (estimate === key % 4) exact++;
    }
    expect(exact).toBeGreaterThan(950);
  });

  it('halves every count after ten increments per entry, so old popularity fades', () => {
    const sketch = new FrequencySketch(10);
    const old = hashKey('old favourite');
    for (let seen = 0; seen < 8; seen++) sketch.increment(old);
    for (let other = 0; other < 92; other++) sketch.increment(hashKey(`other ${other}`));
    expect(sketch.frequency(old)).toBe(4);
  });

  it('says when an increment changed nothing, and when it halves', () => {
    let halvings = 0;
    const sketch = new FrequencySketch(10, () => halvings++);
    const hash = hashKey('hot');
    const changed = Array.from({ length: 16 }, () => sketch.increment(hash));
    expect(changed.lastIndexOf(true)).toBe(14); // the 15th increment saturates it
    expect(changed[15]).toBe(false);
    expect(halvings).toBe(0);
    for (let other = 0; other < 85; other++) sketch.increment(hashKey(`other ${other % 8}`));
    expect(halvings).toBe(1);
    expect(sketch.increment(hash)).toBe(true); // halved, so counting again
  });

  it('forgets everything on clear', () => {
    const sketch = new FrequencySketch(10);
    sketch.increment(hashKey('k'));
    sketch.clear();
    expect(sketch.frequency(hashKey('k'))).toBe(0);
  });
});

describe('hashKey()', () => {
  it('hashes equal keys equally and spreads different ones', () => {
    expect(hashKey('abc')).toBe(hashKey('abc'));
    expect(hashKey(42)).toBe(hashKey(42));
    const object = {};
    expect(hashKey(object)).toBe(hashKey(object));
    const hashes = new Set(Array.from({ length: 10_000 }, (_, index) => hashKey(`agent-${index}`)));
    expect(hashes.size).toBeGreaterThan(9_990);
  });

  it('hashes every kind of key to an unsigned 32-bit integer without throwing', () => {
    for (const key of [
      '',
      1.5,
      -0,
      Number.NaN,
      10n,
      true,
      undefined,
      null,
      Symbol('s'),
      () => {},
      [],
    ]) {
      const hash = hashKey(key);
      expect(Number.isInteger(hash) && hash >= 0 && hash < 2 ** 32).toBe(true);
    }
  });
});
