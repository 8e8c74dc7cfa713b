import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type L1Cache, monotonicClock } from '@aa/cache';
import type { AgentId, PolicyDocument } from '@aa/core';
import type { SeededRandom } from '../lib/prng.js';
import type { KeySpace } from './key-space.js';
import { type GetStart, type Oracle, type Outcome, SoakAbort } from './oracle.js';
import type { Violations } from './violations.js';

/**
 * The part of `L1Cache` the soak drives. The soak's own tests wrap a real
 * cache and sabotage one behaviour to prove that the checks catch it.
 */
export type SoakCache = Pick<
  L1Cache<AgentId, PolicyDocument>,
  'get' | 'peek' | 'invalidate' | 'clear' | 'size' | 'pendingLoads' | 'stats' | 'dispose'
>;

/** The mix of operations each worker draws from, and how gets use signals. */
export interface TrafficMix {
  /** Concurrent workers, each running one operation at a time. */
  readonly workers: number;
  /** Share of operations that are backend writes (a new version of a key). */
  readonly writeRate: number;
  /** Share of writes followed at once by `invalidate` of the key, as an invalidation bus would. */
  readonly invalidateAfterWriteRate: number;
  /** Share of operations that are a bare `invalidate` of a random key. */
  readonly invalidateRate: number;
  /** Share of gets that pass an AbortSignal. */
  readonly signalRate: number;
  /** Share of those whose signal is already aborted. */
  readonly preAbortedRate: number;
  /** The others abort after a uniform delay up to this many ms (often after they settled). */
  readonly abortWithinMs: number;
  /** Operations a worker runs before yielding to the event loop, so timers and I/O keep up. */
  readonly yieldEvery: number;
}

/** Counters of what the traffic did. */
export interface TrafficCounts {
  gets: number;
  getsWithSignal: number;
  preAborted: number;
  writes: number;
  invalidates: number;
  clears: number;
  outcomes: Record<Outcome, number>;
}

/**
 * Drives random traffic through the cache: workers draw a Zipf-distributed
 * key and an operation, run it, and hand every get's outcome to the
 * {@link Oracle}. Clears are the runner's job, on a timer.
 */
export class Traffic {
  readonly #cache: SoakCache;
  readonly #keys: KeySpace;
  readonly #oracle: Oracle;
  readonly #violations: Violations;
  readonly #random: SeededRandom;
  readonly #nextKey: () => number;
  readonly #mix: TrafficMix;
  readonly #maxEntries: number;
  #running: Promise<void>[] = [];
  #stopping = false;
  #callers = 0;
  /** How long each get waited, in microseconds. */
  readonly waits: RecordableHistogram = createHistogram();
  readonly counts: TrafficCounts = {
    gets: 0,
    getsWithSignal: 0,
    preAborted: 0,
    writes: 0,
    invalidates: 0,
    clears: 0,
    outcomes: {
      value: 0,
      notFound: 0,
      backendError: 0,
      loadTimeout: 0,
      aborted: 0,
      disposed: 0,
      unexpected: 0,
    },
  };
  /** The largest `cache.size` seen. */
  maxSize = 0;

  constructor(
    cache: SoakCache,
    keys: KeySpace,
    oracle: Oracle,
    violations: Violations,
    random: SeededRandom,
    nextKey: () => number,
    mix: TrafficMix,
    maxEntries: number,
  ) {
    this.#cache = cache;
    this.#keys = keys;
    this.#oracle = oracle;
    this.#violations = violations;
    this.#random = random;
    this.#nextKey = nextKey;
    this.#mix = mix;
    this.#maxEntries = maxEntries;
  }

  /** Starts the workers. */
  start(): void {
    this.#stopping = false;
    this.#running = Array.from({ length: this.#mix.workers }, () => this.#work());
  }

  /**
   * Asks every worker to stop after its current operation and waits for them,
   * at most `deadlineMs`.
   * @returns whether every worker stopped in time (a get that never settles keeps one running).
   */
  async stop(deadlineMs: number): Promise<boolean> {
    this.#stopping = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    try {
      return await Promise.race([Promise.all(this.#running).then(() => true), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The agent id of key index `key`. */
  idOf(key: number): AgentId {
    return this.#keys.ids[key] as AgentId;
  }

  /** `clear()`, recorded in the key space as soon as it returns. */
  clear(): void {
    this.#cache.clear();
    this.#keys.cleared();
    this.counts.clears++;
    this.checkSize();
  }

  /** Checks `size` against `maxEntries`. */
  checkSize(): void {
    const size = this.#cache.size;
    if (size > this.maxSize) this.maxSize = size;
    if (size > this.#maxEntries) {
      this.#violations.record('size', `size ${size} > maxEntries ${this.#maxEntries}`);
    }
  }

  async #work(): Promise<void> {
    const { writeRate, invalidateRate, yieldEvery } = this.#mix;
    let operations = 0;
    while (!this.#stopping) {
      const roll = this.#random.nextFloat();
      if (roll < writeRate) this.#write();
      else if (roll < writeRate + invalidateRate) this.#invalidate(this.#nextKey());
      else await this.#get();
      if (++operations % yieldEvery === 0) await yieldToEventLoop();
    }
  }

  #write(): void {
    const key = this.#nextKey();
    this.#keys.write(key);
    this.counts.writes++;
    if (this.#random.nextFloat() < this.#mix.invalidateAfterWriteRate) this.#invalidate(key);
  }

  #invalidate(key: number): void {
    this.#cache.invalidate(this.#keys.ids[key] as AgentId);
    this.#keys.invalidated(key);
    this.counts.invalidates++;
    this.checkSize();
  }

  async #get(): Promise<void> {
    const key = this.#nextKey();
    const id = this.#keys.ids[key] as AgentId;
    const counts = this.counts;
    counts.gets++;
    let controller: AbortController | undefined;
    let abortReason: SoakAbort | undefined;
    let abortTimer: ReturnType<typeof setTimeout> | undefined;
    if (this.#random.nextFloat() < this.#mix.signalRate) {
      counts.getsWithSignal++;
      controller = new AbortController();
      abortReason = new SoakAbort(++this.#callers);
      if (this.#random.nextFloat() < this.#mix.preAbortedRate) {
        counts.preAborted++;
        controller.abort(abortReason);
      } else {
        const abort = controller.abort.bind(controller, abortReason);
        abortTimer = setTimeout(abort, this.#random.nextFloat() * this.#mix.abortWithinMs);
      }
    }
    const start: GetStart = {
      key,
      at: performance.now(),
      onClock: monotonicClock.now(),
      requiredSequence: this.#keys.requiredSequence(key),
      floor: this.#keys.floor(key),
      abortReason,
    };
    let outcome: Outcome;
    try {
      const value = await this.#cache.get(id, controller && { signal: controller.signal });
      outcome = this.#oracle.resolved(start, value, performance.now());
    } catch (error) {
      outcome = this.#oracle.rejected(start, error, performance.now());
    }
    if (abortTimer !== undefined) clearTimeout(abortTimer);
    counts.outcomes[outcome]++;
    this.waits.record(Math.max(1, Math.round((performance.now() - start.at) * 1_000)));
  }
}
