import { describeValue } from '@aa/core';
import { type Clock, monotonicClock } from './clock.js';

/** How an {@link L1Cache} keeps its entries. Every option is optional. */
export interface L1CacheOptions {
  /**
   * How long a loaded value stays fresh, in milliseconds, counted from the moment
   * its load completed. An expired entry is a miss: it is never returned and the
   * next `get` loads again.
   *
   * @default 60_000
   */
  readonly ttlMs?: number | undefined;
  /**
   * The most entries the cache holds. Inserting past it evicts the least recently
   * used entry (expired entries are reclaimed first). Keys often come from
   * requests (agent ids), so the bound is what stops a flood of distinct keys from
   * exhausting memory. Memory is allocated as entries arrive, not up front.
   *
   * @default 10_000
   */
  readonly maxEntries?: number | undefined;
  /**
   * Where time is read. Must be monotonic (never go backwards).
   *
   * @default monotonicClock (`performance.now()`)
   */
  readonly clock?: Clock | undefined;
}

/** {@link L1CacheOptions} with every default applied and every value checked. */
export interface ResolvedL1CacheOptions {
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly clock: Clock;
}

/** Defaults of {@link L1CacheOptions}. */
export const L1_CACHE_DEFAULTS = Object.freeze({
  ttlMs: 60_000,
  maxEntries: 10_000,
}) satisfies Partial<ResolvedL1CacheOptions>;

// Slot indices live in Uint32Arrays and slot 0 is the lists' sentinel.
const MAX_ENTRIES_LIMIT = 0xffff_fffe;
const KNOWN_OPTIONS: ReadonlySet<string> = new Set(['ttlMs', 'maxEntries', 'clock']);

/**
 * Checks `input` once, at construction, and fills in the defaults, so nothing on
 * the hot path validates again.
 *
 * @throws {TypeError} naming the option, what was expected and what was given.
 */
export function resolveOptions(input: unknown): ResolvedL1CacheOptions {
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(input)}`);
  }
  for (const name of Object.keys(input)) {
    if (!KNOWN_OPTIONS.has(name)) {
      throw new TypeError(
        `Expected options among ${[...KNOWN_OPTIONS].map((known) => `\`${known}\``).join(', ')}, got unknown option \`${name}\``,
      );
    }
  }
  const options = input as L1CacheOptions;

  const ttlMs = withDefault(options.ttlMs, L1_CACHE_DEFAULTS.ttlMs);
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new TypeError(
      `Expected \`ttlMs\` to be a finite number > 0, got ${describeValue(ttlMs)}`,
    );
  }

  const maxEntries = withDefault(options.maxEntries, L1_CACHE_DEFAULTS.maxEntries);
  if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > MAX_ENTRIES_LIMIT) {
    throw new TypeError(
      `Expected \`maxEntries\` to be an integer from 1 to ${MAX_ENTRIES_LIMIT}, got ${describeValue(maxEntries)}`,
    );
  }

  const clock = withDefault(options.clock, monotonicClock);
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw new TypeError(
      `Expected \`clock\` to be an object with a \`now()\` method, got ${describeValue(clock)}`,
    );
  }

  return Object.freeze({ ttlMs, maxEntries, clock });
}

// Only `undefined` means "use the default": a `null` is a mistake worth reporting.
function withDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}
