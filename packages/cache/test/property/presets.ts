import { L1_CACHE_DEFAULTS, type L1CacheOptions } from '../../src/index.js';
import {
  DEFAULT_WEIGHTS,
  QUANTUM_MS as Q,
  REENTRANT_ACTIONS,
  type ScenarioShape,
  TIME_WEIGHTS,
} from './scenario.js';

/** What the scripted source returns: which key, which backend version, which load. */
export interface LoadedValue {
  readonly key: string;
  readonly version: number;
  /** The index of the source load that returned it. */
  readonly load: number;
}

/** The options the model needs, every default applied. */
export interface ModelOptions {
  readonly ttl: number | ((value: LoadedValue, key: string) => number);
  readonly maxEntries: number;
  readonly loadTimeoutMs: number | undefined;
  readonly staleWhileRevalidateMs: number;
  readonly staleIfErrorMs: number;
  readonly failSafeRetryMs: number;
  readonly notFoundTtlMs: number;
}

/** A set of cache options the property runs under. */
export interface Preset {
  readonly name: string;
  /** Passed to the cache (with a `ManualClock` and a unique `name` added). */
  readonly options: Omit<L1CacheOptions<string, LoadedValue>, 'clock' | 'name'>;
  /** The scenarios it runs: more keys than entries where eviction is tested, more time where windows are. */
  readonly shape: ScenarioShape;
}

const ANY: ScenarioShape = {
  maxSteps: 40,
  keys: [2, 4],
  weights: DEFAULT_WEIGHTS,
  notFoundShare: 1 / 3,
  reentrantActions: REENTRANT_ACTIONS,
};
const CROWDED: ScenarioShape = { ...ANY, keys: [3, 4] };
/** Longer runs with more time passing and fewer `NotFound`s (which drop a stale value). */
const TIMED: ScenarioShape = {
  maxSteps: 60,
  keys: [2, 3],
  weights: TIME_WEIGHTS,
  notFoundShare: 1 / 6,
  reentrantActions: REENTRANT_ACTIONS,
};

/**
 * A TTL function that exercises every branch of `ttlMs(value, key)`: `0` (do
 * not store, and drop any stale value), a faulty `NaN` (the load fails with a
 * `TypeError`), and a few real TTLs.
 */
export function variedTtl(value: LoadedValue): number {
  const ttls = [0, Number.NaN, 2 * Q, 4 * Q, 6 * Q] as const;
  return ttls[(value.version + value.load) % ttls.length] as number;
}

/**
 * A TTL function mixing the longest durations with short ones, so entries that
 * expire sit beside entries that never do (where an `Infinity` deadline once
 * broke the timer wheel).
 */
export function extremeTtl(value: LoadedValue): number {
  return (value.version + value.load) % 2 === 0 ? Number.MAX_VALUE : 2 * Q;
}

/** Every duration is a multiple of {@link Q}: see `QUANTUM_MS`, but for the extreme ones. */
export const PRESETS: readonly Preset[] = [
  { name: 'plain', options: { ttlMs: 4 * Q }, shape: ANY },
  { name: 'maxEntries 2', options: { ttlMs: 4 * Q, maxEntries: 2 }, shape: CROWDED },
  {
    name: 'loadTimeoutMs',
    options: { ttlMs: 4 * Q, loadTimeoutMs: 3 * Q },
    shape: TIMED,
  },
  {
    name: 'staleWhileRevalidateMs',
    options: { ttlMs: 4 * Q, staleWhileRevalidateMs: 3 * Q, failSafeRetryMs: 2 * Q },
    shape: TIMED,
  },
  {
    name: 'staleIfErrorMs + failSafeRetryMs',
    options: { ttlMs: 4 * Q, staleIfErrorMs: 5 * Q, failSafeRetryMs: 2 * Q },
    shape: TIMED,
  },
  {
    name: 'notFoundTtlMs',
    options: { ttlMs: 4 * Q, notFoundTtlMs: 3 * Q },
    shape: { ...TIMED, notFoundShare: 1 / 2 },
  },
  {
    name: 'ttlMs function + staleIfErrorMs',
    options: { ttlMs: variedTtl, staleIfErrorMs: 3 * Q, failSafeRetryMs: Q },
    shape: TIMED,
  },
  {
    name: 'every option, maxEntries 2',
    options: {
      ttlMs: 4 * Q,
      maxEntries: 2,
      loadTimeoutMs: 3 * Q,
      staleWhileRevalidateMs: 2 * Q,
      staleIfErrorMs: 5 * Q,
      failSafeRetryMs: 2 * Q,
      notFoundTtlMs: 3 * Q,
    },
    shape: { ...TIMED, keys: [3, 4], notFoundShare: 1 / 4 },
  },
  {
    name: 'extreme durations, maxEntries 2',
    options: {
      ttlMs: extremeTtl,
      maxEntries: 2,
      staleIfErrorMs: Number.MAX_VALUE,
      failSafeRetryMs: Number.MAX_VALUE,
      notFoundTtlMs: Number.MAX_VALUE,
    },
    shape: { ...TIMED, keys: [3, 4], notFoundShare: 1 / 4 },
  },
  {
    name: 'extreme stale window, short TTLs',
    options: {
      ttlMs: 2 * Q,
      maxEntries: 3,
      staleWhileRevalidateMs: Number.MAX_SAFE_INTEGER,
      failSafeRetryMs: Q,
      notFoundTtlMs: 3 * Q,
    },
    shape: { ...TIMED, keys: [3, 4] },
  },
];

/** `preset`'s options as the model reads them, defaults applied as `resolveOptions` does. */
export function modelOptions(preset: Preset): ModelOptions {
  const { options } = preset;
  return {
    ttl: options.ttlMs ?? L1_CACHE_DEFAULTS.ttlMs,
    maxEntries: options.maxEntries ?? L1_CACHE_DEFAULTS.maxEntries,
    loadTimeoutMs: options.loadTimeoutMs,
    staleWhileRevalidateMs:
      options.staleWhileRevalidateMs ?? L1_CACHE_DEFAULTS.staleWhileRevalidateMs,
    staleIfErrorMs: options.staleIfErrorMs ?? L1_CACHE_DEFAULTS.staleIfErrorMs,
    failSafeRetryMs: options.failSafeRetryMs ?? L1_CACHE_DEFAULTS.failSafeRetryMs,
    notFoundTtlMs: options.notFoundTtlMs ?? L1_CACHE_DEFAULTS.notFoundTtlMs,
  };
}

/** The TTL `options` gives `value`, or `undefined` when the function's answer is invalid. */
export function ttlOf(options: ModelOptions, value: LoadedValue): number | undefined {
  const ttl = typeof options.ttl === 'number' ? options.ttl : options.ttl(value, value.key);
  return Number.isFinite(ttl) && ttl >= 0 ? ttl : undefined;
}
