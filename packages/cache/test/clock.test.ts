import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { monotonicClock, TaskClock } from '../src/index.js';

/** Spins for `ms` of real time. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: nothing else may run meanwhile
  }
}

/** How far behind `performance.now()` the clock reads in a callback run by `schedule`. */
function lagIn(clock: TaskClock, schedule: (callback: () => void) => void): Promise<number> {
  return new Promise((resolve) => {
    schedule(() => resolve(performance.now() - clock.now()));
  });
}

describe('TaskClock', () => {
  it('reuses one reading within a synchronous stretch', () => {
    const clock = new TaskClock();
    const first = clock.now();
    busy(5);
    expect(clock.now()).toBe(first);
  });

  it('reuses one reading across the microtasks of one task, awaits included', async () => {
    const clock = new TaskClock();
    const first = clock.now();
    for (let step = 0; step < 5; step++) {
      await Promise.resolve();
      busy(1);
      expect(clock.now()).toBe(first);
    }
  });

  it("keeps a reading taken in a callback's synchronous part for the microtasks it queued", async () => {
    // A source answering in a timer reads the clock, then settles a promise;
    // the cache commits in a promise callback: both must see one time.
    const clock = new TaskClock();
    const readings = await new Promise<number[]>((resolve) => {
      setTimeout(() => {
        process.nextTick(() => {});
        const answered = clock.now();
        busy(2);
        Promise.resolve()
          .then(() => busy(1))
          .then(async () => {
            await null;
            resolve([answered, clock.now()]);
          });
      }, 1);
    });
    expect(readings[1]).toBe(readings[0]);
  });

  it('forgets a reading taken in a setImmediate callback before the next timer runs', async () => {
    // The reading must not outlive its task: a timer due while an immediate
    // ran long must see the time it actually runs at.
    const clock = new TaskClock();
    const lag = new Promise<number>((resolve) => {
      setTimeout(() => resolve(performance.now() - clock.now()), 5);
      setImmediate(() => {
        clock.now();
        busy(40);
      });
    });
    expect(await lag).toBeLessThan(5);
  });

  it.each([
    ['the next timer of the same timers phase', (callback: () => void) => setTimeout(callback, 0)],
    [
      'the next immediate of the same check phase',
      (callback: () => void) => setImmediate(callback),
    ],
  ])('forgets a reading before %s', async (_label, schedule) => {
    const clock = new TaskClock();
    const lag = await new Promise<number>((resolve) => {
      schedule(() => {
        clock.now();
        busy(20);
      });
      schedule(() => resolve(performance.now() - clock.now()));
    });
    expect(lag).toBeLessThan(5);
    expect(await lagIn(clock, (callback) => setTimeout(callback, 1))).toBeLessThan(5);
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

  it('is the default clock, `monotonicClock`', () => {
    expect(monotonicClock).toBeInstanceOf(TaskClock);
    expect(Object.isFrozen(monotonicClock)).toBe(true);
  });
});
