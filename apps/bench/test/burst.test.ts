import { describe, expect, it } from 'vitest';
import { burstAgentId, runBurst } from '../src/burst.js';
import { median, quantile } from '../src/statistics.js';

describe('runBurst()', () => {
  it('collapses every key of a burst into one load each and reports it', async () => {
    const result = await runBurst({ concurrency: 50, delayMs: 5, keys: 4 });
    expect(result).toMatchObject({ callers: 200, loads: 4, wrongAnswers: 0, collapsed: true });
    expect(result.wallMs).toBeGreaterThanOrEqual(result.latencyP99Ms);
  });

  it('gives every key index its own agent id', () => {
    expect(new Set(Array.from({ length: 1_000 }, (_, index) => burstAgentId(index))).size).toBe(
      1_000,
    );
  });
});

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
