/**
 * What an invalidation transport (Postgres LISTEN/NOTIFY, Redis Streams, …)
 * drives when another instance reports a change: an `L1Cache` satisfies it, and
 * so can anything else that holds copies.
 */
export interface InvalidationSink<K> {
  /** Drops the copy held for `key`. */
  invalidate(key: K): unknown;
  /** Drops every copy: called when the transport may have missed events. */
  clear(): unknown;
}
