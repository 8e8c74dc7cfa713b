import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/index.js';

describe('ManualClock', () => {
  it('starts at 0 by default, or at the time it is given', () => {
    expect(new ManualClock().now()).toBe(0);
    expect(new ManualClock(1_700_000_000_000).now()).toBe(1_700_000_000_000);
  });

  it('stands still until it is moved', () => {
    const clock = new ManualClock(5);
    expect([clock.now(), clock.now()]).toEqual([5, 5]);
  });

  it('satisfies the `{ now(): number }` shape a cache takes as its clock', () => {
    const clock: { now(): number } = new ManualClock(42);
    expect(clock.now()).toBe(42);
  });

  it.each([
    [Number.NaN, '`NaN` (number)'],
    [Number.NEGATIVE_INFINITY, '`-Infinity` (number)'],
    ['0', '`"0"` (string)'],
  ])('rejects %s as the start time with a TypeError', (startMs, shown) => {
    expect(() => new ManualClock(startMs as number)).toThrow(TypeError);
    expect(() => new ManualClock(startMs as number)).toThrow(
      `Expected \`startMs\` to be a finite number, got ${shown}`,
    );
  });

  describe('advance()', () => {
    it('moves the clock forward by the given amount, adding up', () => {
      const clock = new ManualClock(100);
      clock.advance(50);
      clock.advance(0.5);
      clock.advance(0);
      expect(clock.now()).toBe(150.5);
    });

    it.each([
      [-1, '`-1` (number)'],
      [Number.NaN, '`NaN` (number)'],
      [Number.POSITIVE_INFINITY, '`Infinity` (number)'],
    ])('rejects %s with a TypeError and leaves the clock where it was', (ms, shown) => {
      const clock = new ManualClock(10);
      expect(() => clock.advance(ms)).toThrow(TypeError);
      expect(() => clock.advance(ms)).toThrow(
        `Expected \`ms\` to be a finite number >= 0, got ${shown}`,
      );
      expect(clock.now()).toBe(10);
    });
  });

  describe('set()', () => {
    it('moves the clock to an absolute time, or keeps it at the current one', () => {
      const clock = new ManualClock(10);
      clock.set(25);
      expect(clock.now()).toBe(25);
      clock.set(25);
      expect(clock.now()).toBe(25);
    });

    it('refuses to go backwards, since the clock is monotonic', () => {
      const clock = new ManualClock(10);
      expect(() => clock.set(9)).toThrow(TypeError);
      expect(() => clock.set(9)).toThrow(
        'Expected `ms` to be a finite number >= 10 (the clock is monotonic), got `9` (number)',
      );
      expect(clock.now()).toBe(10);
    });

    it('rejects a time that is not a finite number', () => {
      const clock = new ManualClock();
      expect(() => clock.set(Number.POSITIVE_INFINITY)).toThrow(TypeError);
      expect(() => clock.set(Number.NaN)).toThrow(TypeError);
      expect(clock.now()).toBe(0);
    });
  });
});
