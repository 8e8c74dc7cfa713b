import { describeValue } from '@aa/core';
import { saturated } from './options.js';

/** The options {@link Freshness} applies; each defaults to 0 (off) but `ttl`. */
export interface FreshnessOptions<K, V> {
  /** One TTL for every value, or the function giving each value's. */
  readonly ttl?: number | ((value: V, key: K) => number);
  readonly ttlJitter?: number;
  readonly staleWhileRevalidateMs?: number;
  readonly staleIfErrorMs?: number;
  readonly failSafeRetryMs?: number;
  readonly notFoundTtlMs?: number;
}

/** What a get may answer with a value past its freshness; see {@link Freshness.staleUse}. */
export const StaleUse = Object.freeze({
  /** Past every window: the entry goes, and the get loads. */
  Gone: 0,
  /** Kept for a window, but not servable now: the get loads. */
  Load: 1,
  /** Served, and nothing more (fail-safe holding off retries). */
  Serve: 2,
  /** Served, and a background refresh starts (stale-while-revalidate). */
  ServeAndRefresh: 3,
});
/** One of {@link StaleUse}. */
export type StaleUse = (typeof StaleUse)[keyof typeof StaleUse];

/**
 * Every rule about how long an entry may be used, written once: its TTL (with
 * jitter), how long a value is kept and served past its freshness
 * (stale-while-revalidate, stale-if-error), when a key whose load failed may be
 * loaded again (fail-safe), how long a `NotFound` is remembered (negative
 * caching), and when an entry leaves. The entry store asks it; nothing else
 * decides.
 *
 * Values and remembered `NotFound`s differ in one way: a `NotFound` has no
 * stale life, it goes the moment it stops being fresh.
 */
export class Freshness<K, V> {
  readonly #ttl: number | ((value: V, key: K) => number);
  readonly #ttlJitter: number;
  readonly #staleWhileRevalidateMs: number;
  readonly #staleIfErrorMs: number;
  readonly #failSafeRetryMs: number;
  readonly #notFoundTtlMs: number;
  /** How long past its freshness a value is kept: the longer stale window. */
  readonly staleWindowMs: number;

  constructor(options: FreshnessOptions<K, V>) {
    this.#ttl = options.ttl ?? 60_000;
    this.#ttlJitter = options.ttlJitter ?? 0;
    this.#staleWhileRevalidateMs = options.staleWhileRevalidateMs ?? 0;
    this.#staleIfErrorMs = options.staleIfErrorMs ?? 0;
    this.#failSafeRetryMs = options.failSafeRetryMs ?? 0;
    this.#notFoundTtlMs = options.notFoundTtlMs ?? 0;
    this.staleWindowMs = Math.max(this.#staleWhileRevalidateMs, this.#staleIfErrorMs);
  }

  /** Whether retry times are kept: only a value kept past its freshness can hold off a retry. */
  get tracksRetries(): boolean {
    return this.staleWindowMs > 0;
  }

  /**
   * How long a freshly loaded `value` stays fresh: the TTL (saturated at
   * `MAX_DURATION_MS`, so no deadline reaches `Infinity`), spread by the
   * jitter; 0 means "do not store". Calls the `ttlMs` function, user code.
   *
   * @throws {TypeError} when the `ttlMs` function answers anything but a finite number >= 0.
   */
  ttlOf(value: V, key: K): number {
    const ttl = this.#ttl;
    // A number was checked and saturated once, with the options; only what a
    // function answers needs it on every load.
    let ttlMs = typeof ttl === 'number' ? ttl : checkedTtl(ttl(value, key));
    if (ttlMs > 0 && this.#ttlJitter > 0) ttlMs *= 1 + this.#ttlJitter * (2 * Math.random() - 1);
    return ttlMs;
  }

  /** Until when a `NotFound` answered at `now` is remembered, or `undefined` if it is not. */
  notFoundUntil(now: number): number | undefined {
    return this.#notFoundTtlMs > 0 ? now + this.#notFoundTtlMs : undefined;
  }

  /** When an entry fresh until `freshUntil` leaves: a stale window later for a value. */
  removeAt(freshUntil: number, negative: boolean): number {
    return negative ? freshUntil : freshUntil + this.staleWindowMs;
  }

  /**
   * What a get at `now` may do with a value fresh until `freshUntil`, which has
   * expired, when a failed load held off retries until `retryAt`. Within the
   * stale-while-revalidate window it is served and refreshed (unless retries
   * are held off); within the stale-if-error window it is served while retries
   * are held off; otherwise it is loaded, and past both windows it goes.
   */
  staleUse(now: number, freshUntil: number, retryAt: number): StaleUse {
    if (now >= freshUntil + this.staleWindowMs) return StaleUse.Gone;
    const retryHeldOff = now < retryAt;
    if (now < freshUntil + this.#staleWhileRevalidateMs) {
      return retryHeldOff ? StaleUse.Serve : StaleUse.ServeAndRefresh;
    }
    if (now < freshUntil + this.#staleIfErrorMs && retryHeldOff) return StaleUse.Serve;
    return StaleUse.Load;
  }

  /**
   * Whether a load that failed at `now` may be answered with the value fresh
   * until `freshUntil` (fail-safe): within the stale-if-error window.
   */
  fallsBack(now: number, freshUntil: number): boolean {
    return now < freshUntil + this.#staleIfErrorMs;
  }

  /**
   * Until when a key whose load failed at `now`, and which still holds a value
   * kept past its freshness, is not loaded again: its stale value answers
   * meanwhile, within either window.
   */
  retryAfterFailure(now: number): number {
    return now + this.#failSafeRetryMs;
  }
}

/** What a `ttlMs` function answered, checked and saturated at `MAX_DURATION_MS`. */
function checkedTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new TypeError(
      `Expected \`ttlMs(value, key)\` to return a finite number >= 0, got ${describeValue(ttlMs)}`,
    );
  }
  return saturated(ttlMs);
}
