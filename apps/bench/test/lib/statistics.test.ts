import { describe, expect, it } from 'vitest';
import { median, quantile } from '../../src/lib/statistics.js';

describe('statistics', () => {
  it('takes nearest-rank quantiles and medians', () => {
    const samples = [5, 1, 4, 2, 3];
    expect([quantile(samples, 0.5), quantile(samples, 0.99), quantile(samples, 0)]).toEqual([
      3, 5, 1,
    ]);
    expect([median(samples), median([4, 1, 3, 2])]).toEqual([3, 2.5]);
    expect(median([])).toBeNaN();
  });
});
