import { checkOptions, describeValue } from '@aa/core';
import type { Clock } from './clock.js';
import type { EvictionPolicyName } from './eviction-policy.js';
import type { Scheduler } from './scheduler.js';
import { MAX_DURATION_MS, resolveTime } from './time-source.js';

export { MAX_DURATION_MS };

/**
 * How an {@link L1Cache} keeps its entries. Every option is optional; those
 * beyond `ttlMs`, `maxEntries` and `clock` are off (or neutral) by default.
 *
 * Options are read once, each exactly once, at construction. Every duration
 * (`ttlMs`, its function's answers, the stale windows, `failSafeRetryMs`,
 * `notFoundTtlMs`) may be any finite number in its range, however large: one
 * longer than {@link MAX_DURATION_MS} (2^53 - 1 ms, about 285,000 years) is
 * treated as that, so a TTL, its jitter and a stale window added together stay
 * finite. `loadTimeoutMs` is a timer and stays within `setTimeout`'s range.
 */
export interface L1CacheOptions<K = unknown, V = unknown> {
  /**
   * How long a loaded value stays fresh, in milliseconds, counted from the moment
   * its load completed. An expired entry is a miss: it is never returned, except
   * within `staleWhileRevalidateMs` or as a fail-safe fallback (`staleIfErrorMs`).
   *
   * A function is called with each loaded value and its key and returns its TTL:
   * a finite number ≥ 0, where `0` means "do not store this value". Any other
   * return makes that load fail with a `TypeError` (a bug in the function should
   * not go unnoticed).
   *
   * @default 60_000
   */
  readonly ttlMs?: number | ((value: V, key: K) => number) | undefined;
  /**
   * Spreads each entry's TTL by up to this fraction either way, at random (0.1 =
   * ±10 %), so keys loaded together do not all expire, and reload, in the same
   * instant. In `[0, 1)`.
   *
   * @default 0
   */
  readonly ttlJitter?: number | undefined;
  /**
   * The most entries held (stale ones and remembered `NotFound`s included), at
   * most 2^24 (a `Map`'s limit). Inserting past it evicts the entry the
   * `evictionPolicy` picks, after reclaiming expired ones; the entry just
   * inserted is never the one. Keys often come from requests (agent ids), so the bound is what
   * stops a flood of distinct keys from exhausting memory. Memory is allocated as
   * entries arrive, not up front.
   *
   * @default 10_000
   */
  readonly maxEntries?: number | undefined;
  /**
   * Which entry goes when the cache is full:
   * - `'w-tinylfu'`: new entries pass through a small window and must have been
   *   seen more often recently than the entry they would displace to stay
   *   (Caffeine's policy). A burst of one-off keys, such as an attacker's random
   *   agent ids, cannot flush the popular ones.
   * - `'lru'`: the least recently used entry goes.
   *
   * @default 'w-tinylfu'
   */
  readonly evictionPolicy?: EvictionPolicyName | undefined;
  /**
   * Where time is read. Must be monotonic (never go backwards). Its `now`
   * method is read once and called once at construction, whose reading must be
   * a finite number within ±(2^53 - 1).
   *
   * @default monotonicClock (`performance.now()`)
   */
  readonly clock?: Clock | undefined;
  /**
   * Where time is read and timers are set (`{ now, setTimeout, clearTimeout }`):
   * every wait of the cache (today, `loadTimeoutMs`) goes through it, so a
   * `ManualScheduler` from `@aa/testing` drives expiry and timeouts alike, and
   * an application may share one with its invalidation transports. Each method
   * is read once; `now` as `clock` is. Give this or `clock`, not both.
   *
   * @default systemScheduler (`monotonicClock` and `unref()`'d Node timers)
   */
  readonly scheduler?: Scheduler | undefined;
  /**
   * A load that has not settled after this many milliseconds rejects every
   * caller waiting on it with a `LoadTimeoutError` (or, with `staleIfErrorMs`, a
   * stale value), aborts the signal handed to the source, and frees the key for
   * the next `get`; a late result is discarded. Unset: loads may take forever.
   *
   * @default undefined (no timeout)
   */
  readonly loadTimeoutMs?: number | undefined;
  /**
   * For this many milliseconds after an entry expires, `get` returns the stale
   * value at once and starts one background refresh for the key (joining any load
   * of it already in flight). A failed refresh is counted and published, never an
   * unhandled rejection; the stale value stays until the window ends, and the
   * key is not refreshed again for `failSafeRetryMs`.
   *
   * @default 0 (off)
   */
  readonly staleWhileRevalidateMs?: number | undefined;
  /**
   * Fail-safe: when a load fails and the key's value expired less than this many
   * milliseconds ago, callers get that stale value instead of the error, and the
   * key is not loaded again for `failSafeRetryMs` (`get` keeps answering with the
   * stale value meanwhile), so a down backend sees a trickle, not a flood.
   *
   * @default 0 (off)
   */
  readonly staleIfErrorMs?: number | undefined;
  /**
   * With either stale window: after a load or background refresh of a key that
   * still holds a value kept past its freshness has failed (a timeout included,
   * a `NotFound` excluded), how long before the key is loaded again, whether or
   * not that failure was answered with the stale value. Meanwhile `get` answers
   * with the stale value while a window allows it (without starting a refresh),
   * and otherwise loads. Without a stale window nothing is held past its
   * freshness, so nothing is held off.
   *
   * @default 1_000
   */
  readonly failSafeRetryMs?: number | undefined;
  /**
   * Negative caching: a load rejected with a `StorageError` of kind `NotFound` is
   * remembered this long and re-thrown to later callers without a load;
   * `invalidate` forgets it. Other errors are never remembered.
   *
   * @default 0 (off)
   */
  readonly notFoundTtlMs?: number | undefined;
  /**
   * Names the cache in diagnostics events and error messages.
   *
   * @default 'L1Cache'
   */
  readonly name?: string | undefined;
}

/** {@link L1CacheOptions} with every default applied and every value checked. */
export interface ResolvedOptions<K, V> {
  /** One TTL for every entry, or the function that gives each entry's. */
  readonly ttl: number | ((value: V, key: K) => number);
  readonly ttlJitter: number;
  readonly maxEntries: number;
  readonly evictionPolicy: EvictionPolicyName;
  /** Read on every hit: the scheduler's `now`, or the `clock` option. */
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly loadTimeoutMs: number | undefined;
  readonly staleWhileRevalidateMs: number;
  readonly staleIfErrorMs: number;
  readonly failSafeRetryMs: number;
  readonly notFoundTtlMs: number;
  readonly name: string;
}

/** Defaults of {@link L1CacheOptions}. */
export const L1_CACHE_DEFAULTS = Object.freeze({
  ttlMs: 60_000,
  ttlJitter: 0,
  maxEntries: 10_000,
  evictionPolicy: 'w-tinylfu' as EvictionPolicyName,
  staleWhileRevalidateMs: 0,
  staleIfErrorMs: 0,
  failSafeRetryMs: 1_000,
  notFoundTtlMs: 0,
  name: 'L1Cache',
});

// A V8 Map holds at most 2^24 entries; the store's index is one.
const MAX_ENTRIES_LIMIT = 2 ** 24;
// setTimeout's ceiling: a longer timeout would fire at once.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'ttlMs',
  'ttlJitter',
  'maxEntries',
  'evictionPolicy',
  'clock',
  'scheduler',
  'loadTimeoutMs',
  'staleWhileRevalidateMs',
  'staleIfErrorMs',
  'failSafeRetryMs',
  'notFoundTtlMs',
  'name',
]);

/**
 * Checks `input` once, at construction, and fills in the defaults, so nothing on
 * the hot path validates again. Each option is read exactly once, so a getter
 * cannot answer validation one way and later use another.
 *
 * @throws {TypeError} naming the option, what was expected and what was given.
 */
export function resolveOptions<K, V>(input: unknown): ResolvedOptions<K, V> {
  const options = readOnce(checkOptions<object>(input, KNOWN_OPTIONS)) as L1CacheOptions<K, V>;
  const defaults = L1_CACHE_DEFAULTS;

  const ttl =
    typeof options.ttlMs === 'function'
      ? options.ttlMs
      : saturated(check('ttlMs', options.ttlMs, defaults.ttlMs, isPositive));

  const { clock, scheduler } = resolveTime(options.clock, options.scheduler);

  const evictionPolicy =
    options.evictionPolicy === undefined ? defaults.evictionPolicy : options.evictionPolicy;
  if (evictionPolicy !== 'w-tinylfu' && evictionPolicy !== 'lru') {
    throw new TypeError(
      `Expected \`evictionPolicy\` to be 'w-tinylfu' or 'lru', got ${describeValue(evictionPolicy)}`,
    );
  }

  const name = options.name === undefined ? defaults.name : options.name;
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`Expected \`name\` to be a non-empty string, got ${describeValue(name)}`);
  }

  const staleWhileRevalidateMs = saturated(
    check(
      'staleWhileRevalidateMs',
      options.staleWhileRevalidateMs,
      defaults.staleWhileRevalidateMs,
      isDuration,
    ),
  );
  const staleIfErrorMs = saturated(
    check('staleIfErrorMs', options.staleIfErrorMs, defaults.staleIfErrorMs, isDuration),
  );

  return Object.freeze({
    ttl,
    ttlJitter: check('ttlJitter', options.ttlJitter, defaults.ttlJitter, isFraction),
    maxEntries: check('maxEntries', options.maxEntries, defaults.maxEntries, isEntryCount),
    evictionPolicy,
    clock,
    scheduler,
    loadTimeoutMs:
      options.loadTimeoutMs === undefined
        ? undefined
        : check('loadTimeoutMs', options.loadTimeoutMs, 0, isTimeout),
    staleWhileRevalidateMs,
    staleIfErrorMs,
    failSafeRetryMs: saturated(
      check('failSafeRetryMs', options.failSafeRetryMs, defaults.failSafeRetryMs, isDuration),
    ),
    notFoundTtlMs: saturated(
      check('notFoundTtlMs', options.notFoundTtlMs, defaults.notFoundTtlMs, isDuration),
    ),
    name,
  });
}

/** A plain copy of the known options of `input`, each read once. */
function readOnce(input: object): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const name of KNOWN_OPTIONS) {
    try {
      copy[name] = (input as Record<string, unknown>)[name];
    } catch (error) {
      throw new TypeError(`Expected \`${name}\` to be readable, got a getter that threw`, {
        cause: error,
      });
    }
  }
  return copy;
}

/** A numeric constraint and how to say it in an error message. */
interface Constraint {
  readonly expected: string;
  test(value: number): boolean;
}

const isPositive: Constraint = {
  expected: 'a finite number > 0',
  test: (value) => Number.isFinite(value) && value > 0,
};
const isDuration: Constraint = {
  expected: 'a finite number >= 0',
  test: (value) => Number.isFinite(value) && value >= 0,
};
const isFraction: Constraint = {
  expected: 'a number >= 0 and < 1',
  test: (value) => value >= 0 && value < 1,
};
const isTimeout: Constraint = {
  expected: `a number > 0 and <= ${MAX_TIMEOUT_MS}`,
  test: (value) => value > 0 && value <= MAX_TIMEOUT_MS,
};
const isEntryCount: Constraint = {
  expected: `an integer from 1 to ${MAX_ENTRIES_LIMIT}`,
  test: (value) => Number.isInteger(value) && value >= 1 && value <= MAX_ENTRIES_LIMIT,
};

// Only `undefined` means "use the default": a `null` is a mistake worth reporting.
function check(name: string, value: unknown, fallback: number, constraint: Constraint): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !constraint.test(value)) {
    throw new TypeError(
      `Expected \`${name}\` to be ${constraint.expected}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** `ms`, or {@link MAX_DURATION_MS} if it is longer. */
export function saturated(ms: number): number {
  return Math.min(ms, MAX_DURATION_MS);
}
