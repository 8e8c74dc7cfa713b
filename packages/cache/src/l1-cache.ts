import { type CacheSource, describeValue } from '@aa/core';
import type { Clock } from './clock.js';
import { EntryStore } from './entry-store.js';
import { InflightLoads } from './inflight-loads.js';
import { type L1CacheOptions, resolveOptions } from './options.js';

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
export class L1Cache<K, V> {
  readonly #source: CacheSource<K, V>;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #entries: EntryStore<K, V>;
  readonly #inflight = new InflightLoads<K, V>();
  readonly #commit = (key: K, value: V, settled: Promise<V>): void => {
    const now = this.#clock.now();
    this.#entries.set(key, value, settled, now, now + this.#ttlMs);
  };

  /**
   * @param source - where values are loaded from on a miss.
   * @param options - TTL, bound and clock; see {@link L1CacheOptions}.
   * @throws {TypeError} when `source` has no `load` method or an option is invalid.
   */
  constructor(source: CacheSource<K, V>, options?: L1CacheOptions) {
    if (typeof source !== 'object' || source === null || typeof source.load !== 'function') {
      throw new TypeError(
        `Expected \`source\` to be an object with a \`load()\` method, got ${describeValue(source)}`,
      );
    }
    const { ttlMs, maxEntries, clock } = resolveOptions(options);
    this.#source = source;
    this.#ttlMs = ttlMs;
    this.#clock = clock;
    this.#entries = new EntryStore(maxEntries);
  }

  /** The wrapped source. */
  get source(): CacheSource<K, V> {
    return this.#source;
  }

  /**
   * Entries currently held. Entries that have expired are reclaimed before
   * counting, so this never counts stale entries; it does not count loads in
   * flight.
   */
  get size(): number {
    this.#entries.reclaimExpired(this.#clock.now(), Number.POSITIVE_INFINITY);
    return this.#entries.size;
  }

  /** Loads in flight right now; zero once every load has settled. */
  get pendingLoads(): number {
    return this.#inflight.size;
  }

  /**
   * The value for `key`: from memory when a fresh entry is held, otherwise loaded
   * from the source and stored for `ttlMs`.
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
   * A hit allocates nothing: every caller receives the entry's settled promise.
   * The promise never rejects for a reason of the cache's own; rejections come
   * from the source.
   */
  get(key: K): Promise<V> {
    return (
      this.#entries.hit(key, this.#clock.now()) ??
      this.#inflight.get(key) ??
      this.#inflight.start(key, this.#source, this.#commit)
    );
  }

  /**
   * The fresh value held for `key`, or `undefined`, synchronously. Never loads,
   * never joins a load in flight, and does not count as a use for eviction.
   */
  peek(key: K): V | undefined {
    return this.#entries.peek(key, this.#clock.now());
  }

  /**
   * Drops `key`'s entry and disowns its load in flight, if any, so that load can
   * no longer store its value (see {@link get}). Call it when the value changes
   * at the source.
   *
   * @returns whether an entry was held for `key`.
   */
  invalidate(key: K): boolean {
    this.#inflight.abandon(key);
    return this.#entries.delete(key);
  }

  /** Drops every entry and disowns every load in flight, as {@link invalidate} does for one key. */
  clear(): void {
    this.#inflight.abandonAll();
    this.#entries.clear();
  }
}
