import type { CacheSource, LoadOptions } from '@aa/core';
import { ManualClock, ManualScheduler } from '@aa/testing';
import { afterEach, beforeEach, expect } from 'vitest';
import { L1Cache, type L1CacheOptions } from '../src/index.js';

interface PendingLoad<K, V> {
  readonly key: K;
  readonly options: LoadOptions | undefined;
  resolve(value: V): void;
  reject(reason: unknown): void;
}

/**
 * A source whose every load waits until the test settles it by call number,
 * so a test can order loads, invalidations and commits exactly.
 */
export class ControlledSource<K, V> implements CacheSource<K, V> {
  readonly loads: PendingLoad<K, V>[] = [];

  load(key: K, options?: LoadOptions): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      this.loads.push({ key, options, resolve, reject });
    });
  }

  /** Loads started so far. */
  get callCount(): number {
    return this.loads.length;
  }

  /** Settles load number `index` (0-based) with `value`. */
  resolve(index: number, value: V): void {
    this.#load(index).resolve(value);
  }

  /** The signal the cache handed to the source for load number `index`. */
  signalOf(index: number): AbortSignal {
    const signal = this.#load(index).options?.signal;
    if (signal === undefined) throw new Error(`load #${index} was given no signal`);
    return signal;
  }

  /** Fails load number `index` (0-based) with `reason`. */
  reject(index: number, reason: unknown): void {
    this.#load(index).reject(reason);
  }

  #load(index: number): PendingLoad<K, V> {
    const load = this.loads[index];
    if (load === undefined) throw new Error(`no load #${index}; ${this.loads.length} started`);
    return load;
  }
}

/** Lets every queued microtask and the current macrotask finish. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Whether `promise` is still pending once every queued microtask and the current
 * macrotask have run: how a test tells "answered at once" from "waits for a load".
 */
export async function isPending(promise: Promise<unknown>): Promise<boolean> {
  let pending = true;
  const done = () => {
    pending = false;
  };
  promise.then(done, done);
  await settle();
  return pending;
}

/** How a promise has settled so far, as {@link observe} records it. */
export interface Outcome<T> {
  state: 'pending' | 'fulfilled' | 'rejected';
  value?: T;
  reason?: unknown;
}

/** Records how `promise` settles without ever leaving it unhandled. */
export function observe<T>(promise: Promise<T>): Outcome<T> {
  const outcome: Outcome<T> = { state: 'pending' };
  promise.then(
    (value) => {
      outcome.state = 'fulfilled';
      outcome.value = value;
    },
    (reason: unknown) => {
      outcome.state = 'rejected';
      outcome.reason = reason;
    },
  );
  return outcome;
}

/**
 * A cache over a {@link ControlledSource} holding 'v1' for 'k' (load #0),
 * loaded at time 0 with a TTL of `ttlMs` (unless `options` says otherwise), and
 * the clock moved `ttlMs` on: where the stale windows begin. The clock is the
 * `ManualScheduler` passed as `options.scheduler`, if one is.
 */
export async function expiredEntry(ttlMs: number, options: L1CacheOptions<string, string>) {
  const { scheduler } = options;
  const clock = scheduler instanceof ManualScheduler ? scheduler : new ManualClock();
  const source = new ControlledSource<string, string>();
  const time = scheduler === undefined ? { clock } : {};
  const cache = new L1Cache(source, { ttlMs, ...time, ...options });
  const loading = cache.get('k');
  source.resolve(0, 'v1');
  await loading;
  clock.advance(ttlMs);
  return { clock, source, cache };
}

/**
 * Records every unhandled rejection during each test of the enclosing
 * `describe`, and fails the test if there was any once it has settled. Returns
 * the record, for tests that check it midway.
 */
export function failOnUnhandledRejections(): readonly unknown[] {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', record);
  });
  afterEach(async () => {
    await settle();
    process.off('unhandledRejection', record);
    expect(unhandled).toEqual([]);
  });
  return unhandled;
}
