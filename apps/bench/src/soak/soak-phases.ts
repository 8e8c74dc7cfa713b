import { setTimeout as sleep, setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { CACHE_ERROR_CODES, isCacheError } from '@aa/cache';
import { settledWithin, waitUntil } from '@aa/test-infra/polling';
import type { SeededRandom } from '../lib/prng.js';
import type { EventCounter } from './event-counter.js';
import type { FaultySource } from './faulty-source.js';
import { describeError, type Oracle } from './oracle.js';
import {
  CLEAR_INTERVAL_MS,
  JUDGE_SLOW_CALLERS_AFTER_MS,
  SOAK_CACHE_OPTIONS,
  SOAK_SLACK,
} from './soak-settings.js';
import type { SoakCache, Traffic } from './traffic.js';
import type { Violations } from './violations.js';

/** The phases of one soak over one cache, each checking what it can. */
export class SoakPhases {
  readonly #cache: SoakCache;
  readonly #source: FaultySource;
  readonly #traffic: Traffic;
  readonly #oracle: Oracle;
  readonly #violations: Violations;
  readonly #random: SeededRandom;

  constructor(
    cache: SoakCache,
    source: FaultySource,
    traffic: Traffic,
    oracle: Oracle,
    violations: Violations,
    random: SeededRandom,
  ) {
    this.#cache = cache;
    this.#source = source;
    this.#traffic = traffic;
    this.#oracle = oracle;
    this.#violations = violations;
    this.#random = random;
  }

  /** Runs the workers for `ms`, with clears at random intervals and size checks every 10 ms. */
  async traffic(ms: number): Promise<void> {
    const traffic = this.#traffic;
    traffic.start();
    const sampler = setInterval(() => {
      traffic.checkSize();
      this.#oracle.judgeSlowCallers(performance.now() - JUDGE_SLOW_CALLERS_AFTER_MS);
    }, 10);
    let clearTimer: ReturnType<typeof setTimeout> | undefined;
    const scheduleClear = () => {
      const [low, high] = CLEAR_INTERVAL_MS;
      clearTimer = setTimeout(
        () => {
          traffic.clear();
          scheduleClear();
        },
        low + this.#random.nextFloat() * (high - low),
      );
    };
    scheduleClear();
    await sleep(ms);
    clearInterval(sampler);
    clearTimeout(clearTimer);
  }

  /**
   * Stops the traffic, releases every hung load and waits for the cache and the
   * source to have nothing in flight: every caller must settle within
   * `loadTimeoutMs` plus slack, and `pendingLoads` must return to 0.
   */
  async quiesce(phase: string): Promise<void> {
    const { loadTimeoutMs } = SOAK_CACHE_OPTIONS;
    const stopped = await this.#traffic.stop(loadTimeoutMs + SOAK_SLACK.waitSlackMs + 1_000);
    if (!stopped) {
      this.#violations.record(
        'stuck-get',
        `${phase}: a get had not settled a second after its deadline`,
      );
    }
    this.#source.releaseHangs();
    const idle = await waitUntil(
      () => this.#cache.pendingLoads === 0 && this.#source.liveLoads === 0,
      'the loads to finish',
      2 * loadTimeoutMs + SOAK_SLACK.waitSlackMs,
    ).then(
      () => true,
      () => false,
    );
    if (!idle) {
      this.#violations.record(
        'loads-left',
        `${phase}: pendingLoads ${this.#cache.pendingLoads}, source loads in flight ${this.#source.liveLoads} after traffic stopped and hangs were released`,
      );
    }
    this.#traffic.checkSize();
    await sleep(JUDGE_SLOW_CALLERS_AFTER_MS);
    this.#oracle.judgeSlowCallers(Number.POSITIVE_INFINITY);
  }

  /** Cross-checks the cache's counters against what the traffic and the source saw. */
  checkCounters(loadStarts: number): void {
    const stats = this.#cache.stats();
    const { gets, preAborted } = this.#traffic.counts;
    const answered = stats.hits + stats.staleHits + stats.misses;
    if (answered !== gets - preAborted) {
      this.#violations.record(
        'stats',
        `hits + staleHits + misses = ${answered}, but ${gets - preAborted} gets were answered`,
      );
    }
    if (stats.loads !== this.#source.calls) {
      this.#violations.record(
        'stats',
        `stats().loads = ${stats.loads}, but the source was called ${this.#source.calls} times`,
      );
    }
    if (loadStarts !== this.#source.calls) {
      this.#violations.record(
        'diagnostics',
        `${loadStarts} load traces started for ${this.#source.calls} source calls`,
      );
    }
  }

  /**
   * Holds 50 loads in flight (some callers with signals), disposes the cache,
   * and checks that every caller is rejected with CacheDisposedError, that a
   * later get is too without reaching the source, that nothing is held, and
   * that nothing fires afterwards: no source call, no diagnostics event, no
   * timer left, even when the hung loads answer late.
   */
  async checkDispose(oracle: Oracle, events: EventCounter): Promise<void> {
    const cache = this.#cache;
    const source = this.#source;
    const timersBefore = activeTimeouts();
    source.hangEverything(true);
    this.#traffic.clear();
    const held = Array.from({ length: 50 }, (_, index) => {
      const id = this.#traffic.idOf(index);
      return index % 2 === 0
        ? cache.get(id)
        : cache.get(id, { signal: new AbortController().signal });
    });
    const outcomes = Promise.allSettled(held);
    if (cache.pendingLoads !== held.length) {
      this.#violations.record(
        'dispose',
        `expected ${held.length} loads in flight, saw ${cache.pendingLoads}`,
      );
    }

    cache.dispose();
    oracle.disposed = true;
    events.disposed = true;
    const callsAtDispose = source.calls;

    const settled = await settledWithin(outcomes, SOAK_SLACK.waitSlackMs);
    if (settled.status !== 'fulfilled') {
      this.#violations.record('dispose', 'callers in flight were not settled by dispose()');
    } else {
      for (const result of settled.value) {
        if (
          result.status === 'fulfilled' ||
          !isCacheError(result.reason, CACHE_ERROR_CODES.Disposed)
        ) {
          this.#violations.record(
            'dispose',
            `a caller in flight got ${result.status === 'fulfilled' ? 'a value' : describeError(result.reason)}, not CacheDisposedError`,
          );
        }
      }
    }
    const after = await cache.get(this.#traffic.idOf(0)).then(
      () => 'a value',
      (error: unknown) =>
        isCacheError(error, CACHE_ERROR_CODES.Disposed) ? 'ok' : describeError(error),
    );
    if (after !== 'ok') this.#violations.record('dispose', `a get after dispose() got ${after}`);
    if (cache.pendingLoads !== 0 || cache.size !== 0) {
      this.#violations.record(
        'dispose',
        `after dispose(): pendingLoads ${cache.pendingLoads}, size ${cache.size}`,
      );
    }
    if (activeTimeouts() > timersBefore) {
      this.#violations.record(
        'dispose',
        `${activeTimeouts() - timersBefore} timer(s) still active after dispose()`,
      );
    }

    // Late answers, and a wait past every load timeout: nothing may happen.
    source.hangEverything(false);
    source.releaseHangs();
    await sleep(2 * SOAK_CACHE_OPTIONS.loadTimeoutMs);
    await yieldToEventLoop();
    if (source.calls !== callsAtDispose) {
      this.#violations.record(
        'dispose',
        `${source.calls - callsAtDispose} source call(s) after dispose()`,
      );
    }
    if (events.afterDispose > 0) {
      this.#violations.record(
        'dispose',
        `${events.afterDispose} diagnostics event(s) after dispose()`,
      );
    }
    if (cache.size !== 0 || cache.peek(this.#traffic.idOf(0)) !== undefined) {
      this.#violations.record('dispose', 'a late answer was stored after dispose()');
    }
  }
}

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}
