import diagnosticsChannel from 'node:diagnostics_channel';

/**
 * The `node:diagnostics_channel` names `@aa/cache` publishes on. Subscribe to
 * feed logs, metrics or traces; nothing is built or published while no one
 * subscribes.
 *
 * - `load` is a `TracingChannel`: subscribe with
 *   `diagnosticsChannel.tracingChannel(CACHE_CHANNELS.load).subscribe({...})`
 *   (or to `tracing:aa:cache:load:start`, `:end`, `:asyncStart`, `:asyncEnd`,
 *   `:error`) to see each call to the source, with a {@link LoadEvent} context
 *   that also gets `result` or `error`.
 * - The others are plain channels carrying the event named with them.
 */
export const CACHE_CHANNELS = Object.freeze({
  /** TracingChannel of source loads; context {@link LoadEvent}. */
  load: 'aa:cache:load',
  /** A load timed out; {@link LoadTimeoutEvent}. */
  loadTimeout: 'aa:cache:load:timeout',
  /** A failed load was answered with a stale value; {@link FailSafeEvent}. */
  failSafe: 'aa:cache:fail-safe',
  /** An entry was evicted to stay within `maxEntries`; {@link KeyEvent}. */
  evict: 'aa:cache:evict',
  /** An entry left the cache, for any {@link RemovalCause}; {@link RemovalEvent}. */
  remove: 'aa:cache:remove',
  /** `invalidate(key)` was called; {@link InvalidateEvent}. */
  invalidate: 'aa:cache:invalidate',
  /** `clear()` was called; {@link ClearEvent}. */
  clear: 'aa:cache:clear',
});

/** Context of the `load` tracing channel. */
export interface LoadEvent {
  /** The cache's `name` option. */
  readonly cache: string;
  readonly key: unknown;
  /** Whether this is a stale-while-revalidate refresh rather than a caller's load. */
  readonly background: boolean;
  /** Set by the tracing channel when the load fulfils. */
  result?: unknown;
  /** Set by the tracing channel when the load rejects. */
  error?: unknown;
}

/** An event about one key. */
export interface KeyEvent {
  readonly cache: string;
  readonly key: unknown;
}

/** A load timed out after `timeoutMs`. */
export interface LoadTimeoutEvent extends KeyEvent {
  readonly timeoutMs: number;
}

/** A failed load was answered with the stale value instead of `error`. */
export interface FailSafeEvent extends KeyEvent {
  readonly error: unknown;
}

/**
 * Why an entry left the cache (Caffeine's `RemovalCause`):
 * - `'expired'`: it outlived its TTL and every window it could be served in;
 * - `'evicted'`: the eviction policy picked it to stay within `maxEntries`;
 * - `'invalidated'`: `invalidate(key)` dropped it;
 * - `'cleared'`: `clear()` or `dispose()` dropped it;
 * - `'replaced'`: a newer load for its key replaced it: a value, a remembered
 *   `NotFound`, or a value the `ttlMs` function chose not to store.
 */
export type RemovalCause = 'expired' | 'evicted' | 'invalidated' | 'cleared' | 'replaced';

/**
 * An entry left the cache. Published once the cache is consistent again, so a
 * subscriber may call back into it.
 */
export interface RemovalEvent extends KeyEvent {
  readonly cause: RemovalCause;
}

/** `invalidate(key)`: whether an entry was dropped. */
export interface InvalidateEvent extends KeyEvent {
  readonly hadEntry: boolean;
}

/** `clear()`: how many entries were dropped. */
export interface ClearEvent {
  readonly cache: string;
  readonly entries: number;
}

/** The channels, created once per process and shared by every cache. */
export const channels = {
  load: diagnosticsChannel.tracingChannel<unknown, LoadEvent>(CACHE_CHANNELS.load),
  loadTimeout: diagnosticsChannel.channel(CACHE_CHANNELS.loadTimeout),
  failSafe: diagnosticsChannel.channel(CACHE_CHANNELS.failSafe),
  evict: diagnosticsChannel.channel(CACHE_CHANNELS.evict),
  remove: diagnosticsChannel.channel(CACHE_CHANNELS.remove),
  invalidate: diagnosticsChannel.channel(CACHE_CHANNELS.invalidate),
  clear: diagnosticsChannel.channel(CACHE_CHANNELS.clear),
};
