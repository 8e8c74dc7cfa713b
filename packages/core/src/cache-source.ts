/** Options the cache passes to every {@link CacheSource.load} call. */
export interface LoadOptions {
  /**
   * Aborted when no caller wants the result any more (every caller cancelled,
   * the load timed out, or the cache was disposed). Honour it where the backend
   * allows; the cache discards a late result either way.
   */
  readonly signal?: AbortSignal;
}

/**
 * Anything that can load the value for a key: the read side a cache fronts.
 * Every {@link PolicyStore} can be one through {@link asCacheSource}.
 */
export interface CacheSource<K, V> {
  /**
   * Loads the current value for `key`. Rejects with a `StorageError` of kind
   * `NotFound` when the key has none, and of another kind when the backend fails.
   */
  load(key: K, options?: LoadOptions): Promise<V>;
}
