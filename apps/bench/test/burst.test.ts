import { describe, expect, it } from 'vitest';
import { burstAgentId, runBurst } from '../src/burst.js';

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
