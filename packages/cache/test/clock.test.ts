import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { monotonicClock } from '../src/index.js';

describe('monotonicClock', () => {
  it('reuses one reading within a synchronous stretch', () => {
    const first = monotonicClock.now();
    const until = performance.now() + 5;
    while (performance.now() < until) {
      // busy: the reading must not move within this stretch
    }
    expect(monotonicClock.now()).toBe(first);
  });

  it('moves on after the loop idled, for the I/O callback that follows', () => {
    // In a process of its own: a test runner's traffic would wake the loop.
    const fixture = fileURLToPath(new URL('./fixtures/clock-after-idle.ts', import.meta.url));
    const moved = execFileSync(process.execPath, ['--import', 'tsx', fixture], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(Number(moved)).toBeGreaterThan(200);
  }, 30_000);
});
