/**
 * What the harness asks of every cache it compares: the narrowest common
 * surface of a loading cache. Keys are strings because several peers accept
 * nothing else (cache-manager and bentocache key a string store).
 */
export interface CacheUnderTest<V> {
  /**
   * The value for `key`, loaded through the source on a miss, used the way the
   * peer's docs tell a user to. The raw `Map` baseline returns a hit
   * synchronously, so that `await cache.get(key)` costs exactly
   * `await map.get(key)`; every real peer returns a promise.
   */
  get(key: string): V | Promise<V>;
  /** A synchronous read that never loads, for peers that document one. */
  readonly peek?: ((key: string) => V | undefined) | undefined;
  /**
   * Entries held, through the peer's public API, for peers that have one.
   * `L1Cache.size` reclaims expired entries before counting: reading it is one
   * of the reclamation triggers of the expiry workload.
   */
  readonly size?: (() => number) | undefined;
  /** Releases timers and handles, where the peer has something to release. */
  close?(): void | Promise<void>;
}

/** Loads the value for a key, as the system of record would. */
export type Load<V> = (key: string) => Promise<V>;

/** The knobs every peer is built with, mapped onto each peer's own option names. */
export interface PeerOptions {
  /** How long a loaded value stays fresh, in milliseconds. */
  readonly ttlMs: number;
  /** The most entries held. */
  readonly max: number;
}

/** Builds one peer's cache in front of `load`; values are objects, as lru-cache requires. */
export type CreateCache = <V extends object>(
  load: Load<V>,
  options: PeerOptions,
) => CacheUnderTest<V>;
