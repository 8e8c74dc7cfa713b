import { type CacheSource, isStorageError } from '@aa/core';
import { channels } from './diagnostics.js';
import type { EntryStore } from './entry-store.js';
import { LoadTimeoutError } from './errors.js';
import { Flight, type FlightOwner } from './flight.js';
import type { Freshness } from './freshness.js';
import type { ResolvedOptions } from './options.js';
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
  readonly #freshness: Freshness<K, V>;
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
    freshness: Freshness<K, V>,
    stats: StatsCounter,
  ) {
    this.#source = source;
    this.#options = options;
    this.#entries = entries;
    this.#freshness = freshness;
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
      flight.startTimer(this.#options.scheduler, timeoutMs, () => this.#timeOut(flight, timeoutMs));
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
      ttlMs = this.#freshness.ttlOf(value, flight.key);
    } catch (error) {
      // A faulty `ttlMs` function fails the load like a backend error would,
      // throttling and fail-safe included, so it cannot cause a reload storm.
      if (flight.settled) return;
      this.#countFailure(flight);
      this.#fail(flight, error);
      return;
    }
    if (flight.settled) return;
    if (this.#release(flight)) {
      this.#entries.commit(flight.key, value, this.#options.clock.now(), ttlMs);
    }
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
   * `NotFound` is committed (remembered, with negative caching) and replaces
   * any stale value; another error is answered with the stale value when the
   * store falls back to one (fail-safe); otherwise the error itself.
   */
  #failOwned(flight: Flight<K, V>, error: unknown): void {
    const { key } = flight;
    const now = this.#options.clock.now();
    if (isStorageError(error, 'NotFound')) {
      this.#entries.commitNotFound(key, flight.promise, now);
      flight.reject(error);
      return;
    }
    const fallback = this.#entries.loadFailed(key, now);
    if (fallback === undefined) {
      flight.reject(error);
      return;
    }
    if (flight.hasCallers) this.#stats.failSafeFallbacks++;
    // Decided and handed over before a subscriber, which may invalidate, runs.
    flight.resolve(fallback.value);
    if (channels.failSafe.hasSubscribers) {
      channels.failSafe.publish({ cache: this.#options.name, key, error });
    }
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
