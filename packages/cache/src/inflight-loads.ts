import type { CacheSource } from '@aa/core';

/**
 * The loads in flight, at most one per key. A load owns its key's slot from
 * the moment it starts until it settles or is abandoned; only a load that still
 * owns its slot when it succeeds may commit. Ownership is promise identity, not
 * a timestamp: `abandon` just forgets the promise, so the load can no longer
 * commit, while the callers already holding that promise still get its result.
 */
export class InflightLoads<K, V> {
  readonly #pending = new Map<K, Promise<V>>();

  /** Loads currently in flight. */
  get size(): number {
    return this.#pending.size;
  }

  /** The promise of `key`'s load in flight, if any. */
  get(key: K): Promise<V> | undefined {
    return this.#pending.get(key);
  }

  /**
   * Starts loading `key` from `source` and returns the promise every caller of
   * this load shares. A synchronous throw from `source.load` becomes a
   * rejection. On success, `commit` runs once, before any caller resumes, and
   * only if the load still owns its slot; on failure nothing is committed.
   */
  start(
    key: K,
    source: CacheSource<K, V>,
    commit: (key: K, value: V, settled: Promise<V>) => void,
  ): Promise<V> {
    let promise: Promise<V>;
    try {
      promise = Promise.resolve(source.load(key));
    } catch (error) {
      promise = Promise.reject(error);
    }
    this.#pending.set(key, promise);
    // Registered before any caller can await `promise`, so the commit is visible
    // to every caller when it resumes. The rejection handler also keeps a failed
    // load that no caller awaits from being reported as unhandled.
    promise.then(
      (value) => {
        if (this.#release(key, promise)) commit(key, value, promise);
      },
      () => {
        this.#release(key, promise);
      },
    );
    return promise;
  }

  /** Forgets `key`'s load, so it cannot commit; returns whether there was one. */
  abandon(key: K): boolean {
    return this.#pending.delete(key);
  }

  /** Forgets every load in flight. */
  abandonAll(): void {
    this.#pending.clear();
  }

  #release(key: K, promise: Promise<V>): boolean {
    if (this.#pending.get(key) !== promise) return false;
    this.#pending.delete(key);
    return true;
  }
}
