import { type CacheSource, describeValue, isStorageError } from '@aa/core';
import { channels } from './diagnostics.js';
import { type EntryStore, NO_SLOT } from './entry-store.js';
import { LoadTimeoutError } from './errors.js';
import { Flight, type FlightOwner } from './flight.js';
import { type ResolvedOptions, saturated } from './options.js';
import type { StatsCounter } from './stats.js';

/**
 * Starts, coalesces and settles loads: at most one {@link Flight} per key, and
 * only the flight that still owns its key may write its outcome into the
 * entries. Ownership is flight identity, not a timestamp: {@link disown} forgets
 * a flight, so it can no longer commit, while the callers already holding it
 * still get its result.
 *
 * Settling decides what callers get: a value is committed with its TTL (and
 * jitter) before any caller resumes; a `NotFound` may be remembered (negative
 * caching); another failure may be answered with the stale value (fail-safe),
 * after which the key is left alone for `failSafeRetryMs`. A late result from a
 * load that timed out, was abandoned by every caller, or was cancelled is
 * discarded.
 */
export class Loader<K, V> {
  readonly #source: CacheSource<K, V>;
  readonly #options: ResolvedOptions<K, V>;
  readonly #entries: EntryStore<K, V>;
  readonly #stats: StatsCounter;
  /** The flight that owns each key. */
  readonly #flights = new Map<K, Flight<K, V>>();
  /** Every flight not yet settled, disowned ones included, so dispose can reach them all. */
  readonly #unsettled = new Set<Flight<K, V>>();
  readonly #flightOwner: FlightOwner<K, V> = {
    callerLeft: () => {
      this.#stats.cancellations++;
    },
    abandoned: (flight, reason) => {
      this.#release(flight);
      flight.reject(reason);
      flight.abort(reason);
    },
    settled: (flight) => {
      this.#unsettled.delete(flight);
    },
  };

  constructor(
    source: CacheSource<K, V>,
    options: ResolvedOptions<K, V>,
    entries: EntryStore<K, V>,
    stats: StatsCounter,
  ) {
    this.#source = source;
    this.#options = options;
    this.#entries = entries;
    this.#stats = stats;
  }

  /** Loads in flight. */
  get size(): number {
    return this.#flights.size;
  }

  /** The flight that owns `key`, if any. */
  get(key: K): Flight<K, V> | undefined {
    return this.#flights.get(key);
  }

  /** Forgets `key`'s flight, so it can no longer commit; its callers still get its outcome. */
  disown(key: K): void {
    this.#flights.delete(key);
  }

  /** Forgets every flight, as {@link disown} does. */
  disownAll(): void {
    this.#flights.clear();
  }

  /**
   * Aborts every flight not yet settled, disowned ones included, and rejects its
   * callers with `error`; late results are then ignored.
   */
  cancelAll(error: unknown): void {
    const flights = [...this.#unsettled];
    this.#flights.clear();
    for (const flight of flights) flight.reject(error);
    for (const flight of flights) flight.abort(error);
  }

  /**
   * Starts loading `key` and registers the flight as the key's owner. The
   * source is called with the flight's signal (a synchronous throw becomes a
   * rejection), traced on the `load` channel when someone subscribes, and timed
   * out after `loadTimeoutMs`.
   *
   * @param background - a stale-while-revalidate refresh rather than a caller's load.
   */
  start(key: K, background: boolean): Flight<K, V> {
    const flight = new Flight<K, V>(key, background, this.#flightOwner);
    this.#flights.set(key, flight);
    this.#unsettled.add(flight);
    this.#stats.loads++;
    if (background) this.#stats.refreshes++;
    // The timer starts before the source is called: a source may dispose the
    // cache from inside load(), and a flight settled that way must find its
    // timer already there to clear.
    const timeoutMs = this.#options.loadTimeoutMs;
    if (timeoutMs !== undefined) {
      flight.startTimer(timeoutMs, () => this.#timeOut(flight, timeoutMs));
    }
    let loading: Promise<V>;
    try {
      loading = this.#callSource(flight);
    } catch (error) {
      loading = Promise.reject(error);
    }
    loading.then(
      (value) => this.#settleValue(flight, value),
      (error: unknown) => this.#settleError(flight, error),
    );
    return flight;
  }

  #callSource(flight: Flight<K, V>): Promise<V> {
    const { key, background, loadOptions } = flight;
    if (!channels.load.hasSubscribers) return Promise.resolve(this.#source.load(key, loadOptions));
    // A `start` subscriber runs first and may dispose the cache (settling the
    // flight): the source is then not called at all.
    const load = () => (flight.settled ? flight.promise : this.#source.load(key, loadOptions));
    return channels.load.tracePromise(load, {
      cache: this.#options.name,
      key,
      background,
    });
  }

  #settleValue(flight: Flight<K, V>, value: V): void {
    // A flight already settled timed out, was abandoned or disposed: a late
    // result is discarded.
    if (flight.settled) return;
    if (!this.#owns(flight)) {
      // Disowned by an invalidation: its callers asked before it, so they get
      // the value, but it is not stored.
      flight.resolve(value);
      return;
    }
    let ttlMs: number;
    try {
      // User code: the TTL function may invalidate, clear or dispose, so it
      // runs while the flight still owns its key, and ownership is asked
      // again once it has returned.
      ttlMs = this.#ttlOf(flight.key, value);
    } catch (error) {
      // A faulty `ttlMs` function fails the load like a backend error would,
      // throttling and fail-safe included, so it cannot cause a reload storm.
      if (flight.settled) return;
      this.#countFailure(flight);
      this.#fail(flight, error);
      return;
    }
    if (flight.settled) return;
    if (this.#release(flight)) this.#commit(flight.key, value, ttlMs);
    flight.resolve(value);
  }

  #settleError(flight: Flight<K, V>, error: unknown): void {
    if (flight.settled) return;
    this.#countFailure(flight);
    this.#fail(flight, error);
  }

  #timeOut(flight: Flight<K, V>, timeoutMs: number): void {
    if (flight.settled) return;
    const error = new LoadTimeoutError(flight.key, timeoutMs);
    this.#stats.loadTimeouts++;
    this.#countFailure(flight);
    if (channels.loadTimeout.hasSubscribers) {
      channels.loadTimeout.publish({ cache: this.#options.name, key: flight.key, timeoutMs });
    }
    if (flight.settled) return;
    this.#fail(flight, error);
    // After the outcome: the source's abort listeners may re-enter the cache.
    flight.abort(error);
  }

  #countFailure(flight: Flight<K, V>): void {
    this.#stats.loadFailures++;
    if (flight.background) this.#stats.refreshFailures++;
  }

  #fail(flight: Flight<K, V>, error: unknown): void {
    if (this.#release(flight)) this.#failOwned(flight, error);
    else flight.reject(error);
  }

  /**
   * Decides what the callers of a failed load that owned its key get: a
   * `NotFound` is remembered (negative caching) and replaces any stale value;
   * another error is answered with the stale value when fail-safe allows, and
   * the key is then left alone for `failSafeRetryMs`; otherwise the error itself.
   */
  #failOwned(flight: Flight<K, V>, error: unknown): void {
    const { key } = flight;
    const { clock, notFoundTtlMs, staleIfErrorMs, failSafeRetryMs, name } = this.#options;
    const now = clock.now();
    if (isStorageError(error, 'NotFound')) {
      if (notFoundTtlMs > 0)
        this.#entries.setNegative(key, flight.promise, now, now + notFoundTtlMs);
      else this.#entries.delete(key, 'replaced');
      flight.reject(error);
      return;
    }
    const slot = this.#entries.find(key);
    if (slot === NO_SLOT || this.#entries.isNegative(slot)) {
      flight.reject(error);
      return;
    }
    this.#entries.setRetryAt(slot, now + failSafeRetryMs);
    // Not negative, so the slot holds a value, `undefined` included if the
    // source resolved with it.
    const stale = this.#entries.valueAt(slot) as V;
    if (now >= this.#entries.freshUntil(slot) + staleIfErrorMs) {
      flight.reject(error);
      return;
    }
    if (flight.hasCallers) this.#stats.failSafeFallbacks++;
    // Decided and handed over before a subscriber, which may invalidate, runs.
    flight.resolve(stale);
    if (channels.failSafe.hasSubscribers) channels.failSafe.publish({ cache: name, key, error });
  }

  /**
   * The TTL of a loaded value, jitter included; throws a `TypeError` for a
   * TTL function's invalid answer. Calls user code.
   */
  #ttlOf(key: K, value: V): number {
    const { ttl, ttlJitter } = this.#options;
    let ttlMs = typeof ttl === 'number' ? ttl : ttl(value, key);
    if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 0) {
      throw new TypeError(
        `Expected \`ttlMs(value, key)\` to return a finite number >= 0, got ${describeValue(ttlMs)}`,
      );
    }
    // Saturated, so that neither the jitter nor the stale window added to it
    // can reach Infinity.
    ttlMs = saturated(ttlMs);
    if (ttlMs > 0 && ttlJitter > 0) ttlMs *= 1 + ttlJitter * (2 * Math.random() - 1);
    return ttlMs;
  }

  /** Stores a loaded value for `ttlMs` (the store adds the stale window); calls no user code. */
  #commit(key: K, value: V, ttlMs: number): void {
    if (ttlMs === 0) {
      // Not stored, and an older stale value must not outlive the newer one.
      this.#entries.delete(key, 'replaced');
      return;
    }
    const now = this.#options.clock.now();
    this.#entries.set(key, value, now, now + ttlMs);
  }

  /** Whether `flight` still owns its key. */
  #owns(flight: Flight<K, V>): boolean {
    return this.#flights.get(flight.key) === flight;
  }

  /** Removes `flight` from the map if it still owns its key; returns whether it did. */
  #release(flight: Flight<K, V>): boolean {
    if (!this.#owns(flight)) return false;
    this.#flights.delete(flight.key);
    return true;
  }
}
