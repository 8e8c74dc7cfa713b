import { type CacheSource, describeValue } from '@aa/core';
import { AbortFanOut, type SignalWatch } from './abort-fan-out.js';
import type { Clock } from './clock.js';
import { channels } from './diagnostics.js';
import { EntryStore } from './entry-store.js';
import { CacheDisposedError } from './errors.js';
import { evictionPolicyFor } from './eviction-policy-factory.js';
import { Freshness } from './freshness.js';
import { abortReason, type GetOptions, isAborted, signalOf } from './get-options.js';
import { Loader } from './loader.js';
import { type L1CacheOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { type CacheStats, StatsCounter } from './stats.js';

/**
 * An in-process, TTL'd, bounded, stampede-protected cache in front of a
 * {@link CacheSource} (cache-aside): hits are served from memory, misses and
 * expired entries load from the source, and concurrent misses for one key share
 * a single load.
 *
 * @example
 * import { asCacheSource } from '@aa/core';
 * import { L1Cache } from '@aa/cache';
 *
 * const policies = new L1Cache(asCacheSource(store), { ttlMs: 60_000, maxEntries: 10_000 });
 * const policy = await policies.get(agentId); // loads once, then served from memory
 * policies.invalidate(agentId);               // the policy changed: the next get reloads
 */
export class L1Cache<K, V> implements Disposable {
  readonly #source: CacheSource<K, V>;
  readonly #options: ResolvedOptions<K, V>;
  /** Read on every hit, so held directly rather than through `#options`. */
  readonly #clock: Clock;
  readonly #entries: EntryStore<K, V>;
  readonly #stats = new StatsCounter();
  readonly #loader: Loader<K, V>;
  readonly #signals = new AbortFanOut();
  #disposed = false;

  /**
   * @param source - where values are loaded from on a miss.
   * @param options - see {@link L1CacheOptions}.
   * @throws {TypeError} when `source` has no `load` method or an option is invalid.
   */
  constructor(source: CacheSource<K, V>, options?: L1CacheOptions<K, V>) {
    const isObject =
      (typeof source === 'object' && source !== null) || typeof source === 'function';
    if (!isObject || typeof source.load !== 'function') {
      throw new TypeError(
        `Expected \`source\` to be an object with a \`load()\` method, got ${describeValue(source)}`,
      );
    }
    this.#source = source;
    this.#options = resolveOptions<K, V>(options);
    this.#clock = this.#options.clock;
    const { maxEntries, evictionPolicy, clock, name } = this.#options;
    const freshness = new Freshness<K, V>(this.#options);
    this.#entries = new EntryStore<K, V>(
      maxEntries,
      clock.now(),
      freshness,
      evictionPolicyFor(evictionPolicy, maxEntries),
      {
        wants: () => channels.remove.hasSubscribers || channels.evict.hasSubscribers,
        removed: (key, cause) => {
          if (cause === 'evicted' && channels.evict.hasSubscribers) {
            channels.evict.publish({ cache: name, key });
          }
          if (channels.remove.hasSubscribers) channels.remove.publish({ cache: name, key, cause });
        },
      },
    );
    this.#loader = new Loader(source, this.#options, this.#entries, freshness, this.#stats);
  }

  /** The wrapped source. */
  get source(): CacheSource<K, V> {
    return this.#source;
  }

  /**
   * Entries currently held, stale ones kept for a stale window included. Expired
   * entries are reclaimed before counting, so this does not count entries that
   * expired long ago; it does not count loads in flight.
   */
  get size(): number {
    this.#entries.reclaim(this.#clock.now());
    return this.#entries.size;
  }

  /**
   * Loads in flight that still own their key; zero once every load has settled.
   * A load disowned by `invalidate` or `clear` is no longer counted, though it
   * runs on at the source for the callers that joined it.
   */
  get pendingLoads(): number {
    return this.#loader.size;
  }

  /**
   * The value for `key`: from memory when a fresh entry is held, otherwise loaded
   * from the source and stored for its TTL.
   *
   * Concurrency contract. At most one load per key is in flight. A `get` that
   * finds no fresh entry joins the load in flight for its key if there is one,
   * and starts one otherwise, so any number of concurrent misses for a key cost
   * the source one `load` call, and every caller of that load settles with its
   * outcome: the same value, or the same error, passed through unchanged. A
   * failed load stores nothing and is not retried on the callers' behalf; the
   * next `get` after it settles starts a fresh load. A successful load is stored
   * before any of its callers resume, with its TTL counted from that moment.
   *
   * Invalidation wins over loads in flight. Once {@link invalidate} or
   * {@link clear} has returned, a load that began before it can no longer store
   * its value, and a later `get` of the key starts a new load rather than joining
   * the old one. Callers that joined the old load before the invalidation still
   * get its result: they asked before the change.
   *
   * Each caller may leave early through `options.signal` without disturbing the
   * others. With `loadTimeoutMs`, no caller waits longer than that for a load.
   * With the stale windows, a caller may get an expired value instead of waiting
   * (`staleWhileRevalidateMs`) or instead of an error (`staleIfErrorMs`); never
   * one invalidated since.
   *
   * User code may re-enter. The source, a `ttlMs` function, a diagnostics
   * subscriber and a signal listener may each call `get`, `invalidate`, `clear`
   * or `dispose`, and the contract holds whichever does: once `invalidate` or
   * `clear` has returned, nothing loaded before it is stored or served (callers
   * that joined before still get its result); once `dispose` has returned,
   * nothing is held, every `get` rejects with a `CacheDisposedError` and the
   * source is never called again. A `ttlMs` function that reads its own key
   * joins the load it is timing.
   *
   * Hits share one settled promise per entry, made on the entry's first hit, so
   * later hits allocate nothing.
   *
   * @throws never synchronously, whatever `options` is: a getter that throws, a
   *   revoked `Proxy`, or a signal that is not an `AbortSignal` (a `TypeError`)
   *   rejects the get and starts no load. Otherwise it rejects with the source's
   *   error, the caller's abort reason, a `LoadTimeoutError`, or a
   *   `CacheDisposedError`.
   */
  get(key: K, options?: GetOptions): Promise<V> {
    if (options === undefined) {
      const now = this.#clock.now();
      const fresh = this.#entries.hit(key, now);
      if (fresh !== undefined) {
        this.#stats.hits++;
        return fresh;
      }
      return this.#miss(key, undefined, now);
    }
    return this.#getWith(key, options);
  }

  /**
   * The fresh value held for `key`, or `undefined`, synchronously. Never loads,
   * never joins a load in flight, never returns a stale value, and does not count
   * as a use for eviction.
   */
  peek(key: K): V | undefined {
    return this.#entries.peek(key, this.#clock.now());
  }

  /**
   * Drops `key`'s entry (a stale value or a remembered `NotFound` included) and
   * disowns its load in flight, if any, so that load can no longer store its
   * value (see {@link get}). Call it when the value changes at the source.
   *
   * @returns whether an entry was held for `key`.
   */
  invalidate(key: K): boolean {
    // Reclaim first, so an entry long expired counts as an expiration, not as
    // an invalidation, whether or not anything reclaimed it before. Its removal
    // subscribers run now, so none runs between the disowning and the delete.
    this.#entries.reclaim(this.#clock.now());
    this.#loader.disown(key);
    const hadEntry = this.#entries.delete(key, 'invalidated');
    if (hadEntry) this.#stats.invalidations++;
    if (channels.invalidate.hasSubscribers) {
      channels.invalidate.publish({ cache: this.#options.name, key, hadEntry });
    }
    return hadEntry;
  }

  /** Drops every entry and disowns every load in flight, as {@link invalidate} does for one key. */
  clear(): void {
    const now = this.#clock.now();
    this.#entries.reclaim(now);
    const entries = this.#entries.size;
    this.#loader.disownAll();
    this.#entries.clear(now);
    this.#stats.invalidations += entries;
    if (channels.clear.hasSubscribers)
      channels.clear.publish({ cache: this.#options.name, entries });
  }

  /** Cumulative counters since construction; see {@link CacheStats}. */
  stats(): CacheStats {
    return this.#stats.snapshot(this.#entries.removals);
  }

  /**
   * Shuts the cache down: every load in flight is aborted and its callers are
   * rejected with a `CacheDisposedError`, every entry is dropped, every timer is
   * cleared, and later calls to `get` reject with a `CacheDisposedError`. A late
   * result from the source is ignored. Idempotent.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#loader.cancelAll(new CacheDisposedError(this.#options.name));
    this.#entries.clear(this.#clock.now());
  }

  /** {@link dispose}, for `using cache = new L1Cache(...)`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * `get` with per-call options. They are read first and once: a getter may
   * throw (the get rejects) or re-enter the cache, so nothing is looked up
   * before it has run.
   */
  #getWith(key: K, options: GetOptions): Promise<V> {
    let signal: AbortSignal | undefined;
    try {
      signal = signalOf(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#disposed) return Promise.reject(new CacheDisposedError(this.#options.name));
    if (signal !== undefined && isAborted(signal)) return Promise.reject(abortReason(signal));
    const now = this.#clock.now();
    const fresh = this.#entries.hit(key, now);
    if (fresh !== undefined) {
      this.#stats.hits++;
      return fresh;
    }
    return this.#miss(key, signal, now);
  }

  /**
   * `get` of a key with no fresh entry at `now` (the reading its hit check
   * used): a stale answer, or a load started or joined.
   */
  #miss(key: K, signal: AbortSignal | undefined, now: number): Promise<V> {
    if (this.#disposed) return Promise.reject(new CacheDisposedError(this.#options.name));
    const stale = this.#staleAnswer(key, now);
    if (stale !== undefined) return stale;
    // A removal subscriber may have disposed the cache meanwhile.
    if (this.#disposed) return Promise.reject(new CacheDisposedError(this.#options.name));

    let watch: SignalWatch | undefined;
    try {
      watch = signal === undefined ? undefined : this.#signals.watch(signal);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#stats.misses++;
    const flight = this.#loader.get(key);
    if (flight !== undefined) {
      this.#stats.coalescedWaits++;
      return flight.join(watch);
    }
    return this.#loader.start(key, false).join(watch);
  }

  /**
   * What `get` answers at once for a key whose entry is not fresh: its stale
   * value, as the store allows, refreshing it in the background where that
   * applies; otherwise `undefined`.
   */
  #staleAnswer(key: K, now: number): Promise<V> | undefined {
    const stale = this.#entries.staleAnswer(key, now);
    if (stale === undefined) return undefined;
    this.#stats.staleHits++;
    // The answer is read before the refresh starts: a source may invalidate,
    // clear or dispose from inside load().
    if (stale.refresh && this.#loader.get(key) === undefined) this.#loader.start(key, true);
    return stale.promise;
  }
}
