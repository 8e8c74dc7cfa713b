import { describeValue } from '@aa/core';
import { type Clock, monotonicClock } from './clock.js';
import { type Scheduler, systemScheduler } from './scheduler.js';

/**
 * The longest duration the cache works with, in ms: 2^53 - 1, about 285,000
 * years. Longer durations are accepted and treated as this one, so that no sum
 * of a TTL, its jitter and a stale window reaches `Infinity`.
 */
export const MAX_DURATION_MS = Number.MAX_SAFE_INTEGER;

/** The cache's time: the clock its hits read, and the scheduler its waits use. */
export interface TimeSource {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
}

/**
 * Resolves the `clock` and `scheduler` options: the defaults, or the one given,
 * its methods read once and bound after a first reading has shown `now` works.
 *
 * @throws {TypeError} when both are given, or either is not what it should be.
 */
export function resolveTime(clock: unknown, scheduler: unknown): TimeSource {
  if (clock !== undefined && scheduler !== undefined) {
    throw new TypeError('Expected either `clock` or `scheduler`, got both');
  }
  if (scheduler !== undefined) {
    const describe = () =>
      `Expected \`scheduler\` to be an object with \`now()\`, \`setTimeout()\` and \`clearTimeout()\` methods, got ${describeValue(scheduler)}`;
    const now = method(scheduler, 'scheduler', 'now', describe);
    const setTimer = method(scheduler, 'scheduler', 'setTimeout', describe);
    const clearTimer = method(scheduler, 'scheduler', 'clearTimeout', describe);
    checkReading(now.call(scheduler), 'scheduler.now()');
    const boundNow = now.bind(scheduler) as () => number;
    return {
      clock: Object.freeze({ now: boundNow }),
      scheduler: Object.freeze({
        now: boundNow,
        setTimeout: setTimer.bind(scheduler) as Scheduler['setTimeout'],
        clearTimeout: clearTimer.bind(scheduler) as Scheduler['clearTimeout'],
      }),
    };
  }
  if (clock === undefined) return { clock: monotonicClock, scheduler: systemScheduler };
  const now = method(
    clock,
    'clock',
    'now',
    () => `Expected \`clock\` to be an object with a \`now()\` method, got ${describeValue(clock)}`,
  );
  // Read once here so a broken clock fails now, not as entries that never (or
  // always) expire; the hot path trusts it afterwards.
  checkReading(now.call(clock), 'clock.now()');
  const boundNow = now.bind(clock) as () => number;
  return {
    clock: Object.freeze({ now: boundNow }),
    scheduler: Object.freeze({ ...systemScheduler, now: boundNow }),
  };
}

/** `holder[name]`, read once, which must be a function. */
function method(
  holder: unknown,
  option: string,
  name: string,
  describe: () => string,
): (...args: never[]) => unknown {
  let value: unknown;
  if (typeof holder === 'object' && holder !== null) {
    try {
      value = (holder as Record<string, unknown>)[name];
    } catch (error) {
      throw new TypeError(
        `Expected \`${option}.${name}\` to be readable, got a getter that threw`,
        {
          cause: error,
        },
      );
    }
  }
  if (typeof value !== 'function') throw new TypeError(describe());
  return value as (...args: never[]) => unknown;
}

// Readings beyond 2^53 ms would swallow a TTL added to them.
function checkReading(reading: unknown, what: string): void {
  if (
    typeof reading !== 'number' ||
    !Number.isFinite(reading) ||
    Math.abs(reading) > MAX_DURATION_MS
  ) {
    throw new TypeError(
      `Expected \`${what}\` to return a finite number from -${MAX_DURATION_MS} to ${MAX_DURATION_MS}, got ${describeValue(reading)}`,
    );
  }
}
