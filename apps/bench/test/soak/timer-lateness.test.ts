import { describe, expect, it } from 'vitest';
import { TimerLateness } from '../../src/soak/timer-lateness.js';

describe('TimerLateness', () => {
  it('measures how long the event loop could not run timers', async () => {
    const lateness = new TimerLateness();
    lateness.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const blockedFrom = performance.now();
    while (performance.now() - blockedFrom < 120) {
      // Block the event loop, as a long synchronous task would.
    }
    const blockedTo = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 30));
    lateness.stop();
    expect(lateness.longestStallBetween(blockedFrom, blockedTo)).toBeGreaterThanOrEqual(100);
    expect(lateness.longestStallBetween(blockedTo + 1_000, blockedTo + 2_000)).toBe(0);
  });
});
