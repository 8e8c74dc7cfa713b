import { ManualScheduler } from '@aa/testing';
import { describe, expect, it } from 'vitest';

// ManualScheduler lives in @aa/testing; its tests sit here, beside the cache
// that drives its load timeouts with it.
describe('ManualScheduler', () => {
  it('fires due timers on advance, in deadline order, each at its own time', () => {
    const scheduler = new ManualScheduler(100);
    const fired: Array<[string, number]> = [];
    scheduler.setTimeout(() => fired.push(['b', scheduler.now()]), 20);
    scheduler.setTimeout(() => fired.push(['a', scheduler.now()]), 10);
    scheduler.setTimeout(() => fired.push(['c', scheduler.now()]), 30);
    scheduler.advance(25);
    expect(fired).toEqual([
      ['a', 110],
      ['b', 120],
    ]);
    expect(scheduler.now()).toBe(125);
    expect(scheduler.pendingTimers).toBe(1);
  });

  it('fires timers due at the same time in the order they were set', () => {
    const scheduler = new ManualScheduler();
    const fired: string[] = [];
    for (const name of ['x', 'y', 'z']) scheduler.setTimeout(() => fired.push(name), 5);
    scheduler.advance(5);
    expect(fired).toEqual(['x', 'y', 'z']);
  });

  it('fires, in the same advance, timers that callbacks set and that fall due within it', () => {
    const scheduler = new ManualScheduler();
    const fired: number[] = [];
    scheduler.setTimeout(() => {
      fired.push(scheduler.now());
      scheduler.setTimeout(() => fired.push(scheduler.now()), 10);
    }, 10);
    scheduler.advance(25);
    expect(fired).toEqual([10, 20]);
  });

  it('never fires a cleared timer', () => {
    const scheduler = new ManualScheduler();
    let fired = false;
    const timer = scheduler.setTimeout(() => {
      fired = true;
    }, 1);
    scheduler.clearTimeout(timer);
    scheduler.clearTimeout(timer);
    scheduler.advance(10);
    expect(fired).toBe(false);
    expect(scheduler.pendingTimers).toBe(0);
  });

  it('fires timers due by the time set() moves the clock to', () => {
    const scheduler = new ManualScheduler();
    let fired = 0;
    scheduler.setTimeout(() => fired++, 50);
    scheduler.set(49);
    expect(fired).toBe(0);
    scheduler.set(50);
    expect(fired).toBe(1);
  });

  it.each([
    ['a negative step', -1],
    ['NaN', Number.NaN],
  ])('rejects advancing by %s and moves nothing', (_label, ms) => {
    const scheduler = new ManualScheduler();
    let fired = false;
    scheduler.setTimeout(() => {
      fired = true;
    }, 0);
    expect(() => scheduler.advance(ms)).toThrow(TypeError);
    expect(fired).toBe(false);
    expect(scheduler.now()).toBe(0);
  });

  it('rejects a callback that is not a function', () => {
    const scheduler = new ManualScheduler();
    expect(() => scheduler.setTimeout('nope' as never, 1)).toThrow(
      /^Expected `callback` to be a function, got /,
    );
  });
});
