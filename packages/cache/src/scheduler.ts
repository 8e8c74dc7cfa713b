import { systemScheduler as coreSystemScheduler, type Scheduler } from '@aa/core';
import { monotonicClock } from './clock.js';

export type { Scheduler } from '@aa/core';

/**
 * The cache's default scheduler: `@aa/core`'s `systemScheduler` (Node's timers,
 * `unref()`'d), reading the time from {@link monotonicClock}, which reads
 * `performance.now()` at most once per task.
 */
export const systemScheduler: Scheduler = Object.freeze({
  ...coreSystemScheduler,
  now: (): number => monotonicClock.now(),
});
