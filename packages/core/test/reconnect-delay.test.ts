import { describe, expect, it } from 'vitest';
import { reconnectDelay } from '../src/index.js';

const bounds = { minDelayMs: 100, maxDelayMs: 5_000 };

describe('reconnectDelay()', () => {
  it('doubles the ceiling with each attempt, drawing from its upper half', () => {
    expect([0, 1, 2, 3].map((attempt) => reconnectDelay(attempt, bounds, () => 0))).toEqual([
      50, 100, 200, 400,
    ]);
    expect([0, 1, 2, 3].map((attempt) => reconnectDelay(attempt, bounds, () => 0.999_999))).toEqual(
      [100, 200, 400, 800],
    );
  });

  it('stays under the cap however many attempts failed', () => {
    for (const attempt of [6, 7, 50, 1_000, Number.MAX_SAFE_INTEGER]) {
      const delay = reconnectDelay(attempt, bounds, () => 0.999_999);
      expect(delay).toBeLessThanOrEqual(5_000);
      expect(delay).toBeGreaterThanOrEqual(2_500);
    }
  });

  it('spreads instances that retry together (jitter)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => reconnectDelay(4, bounds)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
