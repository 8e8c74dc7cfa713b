import { describe, expect, it } from 'vitest';
import { TimerWheel } from '../src/timer-wheel.js';

/** Schedules `deadlines[i]` for slot i and returns the wheel and what it expired. */
function wheelWith(initial: readonly number[], now = 0) {
  const deadlines = [...initial];
  const wheel = new TimerWheel(deadlines.length, now, (slot) => deadlines[slot] as number);
  deadlines.forEach((_deadline, slot) => {
    wheel.schedule(slot);
  });
  const expired: number[] = [];
  const advance = (to: number) => {
    const before = expired.length;
    wheel.advance(to, (slot) => expired.push(slot));
    return expired.slice(before).sort((a, b) => a - b);
  };
  return { wheel, advance, deadlines };
}

describe('TimerWheel', () => {
  it('expires nothing before its deadline and everything within one resolution after it', () => {
    const { advance } = wheelWith([100, 200, 300]);
    expect(advance(99)).toEqual([]);
    expect(advance(200 + TimerWheel.RESOLUTION_MS)).toEqual([0, 1]);
    expect(advance(300 + TimerWheel.RESOLUTION_MS)).toEqual([2]);
  });

  it.each([
    ['seconds', 5_000],
    ['minutes', 10 * 60_000],
    ['hours', 30 * 3_600_000],
    ['days', 5 * 86_400_000],
    ['weeks, past the top level', 30 * 86_400_000],
  ])('cascades deadlines %s ahead down to the exact tick', (_label, ahead) => {
    const { advance } = wheelWith([ahead, ahead + 1_000]);
    expect(advance(ahead - 1)).toEqual([]);
    expect(advance(ahead + TimerWheel.RESOLUTION_MS)).toEqual([0]);
    expect(advance(ahead + 1_000 + TimerWheel.RESOLUTION_MS)).toEqual([1]);
  });

  it('handles time moving in small steps across many deadlines', () => {
    const deadlines = Array.from({ length: 2_000 }, (_, slot) => (slot * 7_919) % 200_000);
    const { advance } = wheelWith(deadlines);
    const expired: number[] = [];
    for (let now = 0; now <= 200_100; now += 37) {
      for (const slot of advance(now)) {
        expect(deadlines[slot]).toBeLessThanOrEqual(now);
        expect(deadlines[slot]).toBeGreaterThan(now - 37 - TimerWheel.RESOLUTION_MS);
        expired.push(slot);
      }
    }
    expect(expired.sort((a, b) => a - b)).toEqual(deadlines.map((_, slot) => slot));
  });

  it('works from a negative origin (a clock may start anywhere)', () => {
    const { advance } = wheelWith([-99_000, -50_000, 10_000], -100_000);
    expect(advance(-99_000 + TimerWheel.RESOLUTION_MS)).toEqual([0]);
    expect(advance(-50_000 + TimerWheel.RESOLUTION_MS)).toEqual([1]);
    expect(advance(10_000 + TimerWheel.RESOLUTION_MS)).toEqual([2]);
  });

  it('expires a deadline already past at the next advance', () => {
    const { advance } = wheelWith([], 1_000);
    const late = wheelWith([500], 1_000);
    expect(advance(2_000)).toEqual([]);
    expect(late.advance(1_000 + TimerWheel.RESOLUTION_MS)).toEqual([0]);
  });

  it('forgets unscheduled slots and moves rescheduled ones', () => {
    const { wheel, advance, deadlines } = wheelWith([100, 100, 100]);
    wheel.unschedule(0);
    deadlines[1] = 10_000;
    wheel.reschedule(1);
    expect(advance(1_000)).toEqual([2]);
    expect(advance(10_100)).toEqual([1]);
  });

  it('keeps deadlines when it grows and drops them all on clear', () => {
    const deadlines = [100, 400, 0, 200];
    const wheel = new TimerWheel(1, 0, (slot) => deadlines[slot] as number);
    wheel.schedule(0);
    wheel.grow(4);
    wheel.schedule(3);
    const expired: number[] = [];
    wheel.advance(300, (slot) => expired.push(slot));
    expect(expired.sort()).toEqual([0, 3]);

    wheel.schedule(1);
    wheel.clear(300);
    wheel.advance(10_000, (slot) => expired.push(slot));
    expect(expired).toHaveLength(2);
  });
});
