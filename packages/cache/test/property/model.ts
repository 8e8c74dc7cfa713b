import type { CacheStats } from '../../src/index.js';
import { ModelEntries, type ModelEntry } from './model-entries.js';
import type { Expected, ModelCaller, ModelFlight } from './model-records.js';
import { type LoadedValue, type ModelOptions, ttlOf } from './presets.js';

type Mutable<T> = { -readonly [P in keyof T]: T[P] };

/** How the model learns what it does not decide itself. */
export interface ModelHooks {
  /** The key the cache evicted last (policy decisions are not modelled), if any is unaccounted for. */
  takeEviction(): string | undefined;
  /** The cache has just called the source for `flight`: replay what the source did from inside. */
  sourceCalled(flight: ModelFlight): void;
  /** The cache has just asked the `ttlMs` function for `flight`'s value: replay what it did. */
  ttlCalled(flight: ModelFlight): void;
  /** The cache has just answered `flight` with a stale value and published it: replay the subscriber. */
  failSafePublished(flight: ModelFlight): void;
}

/** A source result the cache has not yet seen (its `.then` reaction is queued). */
interface Delivery {
  readonly flight: ModelFlight;
  readonly ok: boolean;
  readonly notFound: boolean;
}

/**
 * A reference model of `L1Cache`, written from its documented contract (the
 * TSDoc of `get` and of each option, the README's `### Options`): per key, the
 * entry held (value or remembered `NotFound`, freshness, removal deadline,
 * fail-safe retry time), the flight that owns the key, every flight not yet
 * settled, and the counters of `stats()`.
 *
 * Time only moves in `advanceTo`; microtasks only run in `yieldTurn`, which
 * mirrors what one microtask turn (`tick`) or a full drain (`flush`) lets the
 * real cache do: see its TSDoc. The eviction policy is not modelled: which
 * entry leaves is read from the cache's `evict` diagnostics events through
 * `takeEviction`, and the model checks only that an entry leaves exactly when
 * the bound requires it and that it was one held.
 */
export class CacheModel {
  now = 0;
  seq = 0;
  disposed = false;
  readonly flights: ModelFlight[] = [];
  readonly callers: ModelCaller[] = [];
  readonly #counters: Mutable<Omit<CacheStats, 'evictions' | 'expirations' | 'replacements'>> = {
    hits: 0,
    staleHits: 0,
    misses: 0,
    coalescedWaits: 0,
    loads: 0,
    loadFailures: 0,
    loadTimeouts: 0,
    refreshes: 0,
    refreshFailures: 0,
    failSafeFallbacks: 0,
    cancellations: 0,
    invalidations: 0,
  };
  readonly #options: ModelOptions;
  readonly #staleWindowMs: number;
  readonly #trackRetries: boolean;
  readonly #hooks: ModelHooks;
  readonly #entries: ModelEntries;
  readonly #owned = new Map<string, ModelFlight>();
  readonly #unsettled = new Set<ModelFlight>();
  readonly #epoch = new Map<string, number>();
  readonly #version = new Map<string, number>();
  readonly #versionFloor = new Map<string, number>();
  #deliveries: Delivery[] = [];
  /** Settled flights whose signal-carrying callers have not yet been told. */
  #unpropagated: ModelFlight[] = [];
  #disposeTokens = 0;

  constructor(options: ModelOptions, hooks: ModelHooks) {
    this.#options = options;
    this.#staleWindowMs = Math.max(options.staleWhileRevalidateMs, options.staleIfErrorMs);
    this.#trackRetries = this.#staleWindowMs > 0;
    this.#hooks = hooks;
    this.#entries = new ModelEntries(options.maxEntries, () => hooks.takeEviction());
  }

  /** What `stats()` must report. */
  get stats(): CacheStats {
    return { ...this.#counters, ...this.#entries.removals };
  }

  epoch(key: string): number {
    return this.#epoch.get(key) ?? 0;
  }

  version(key: string): number {
    return this.#version.get(key) ?? 0;
  }

  /** Loads the cache still owns: what `pendingLoads` must report. */
  get pendingLoads(): number {
    return this.#owned.size;
  }

  /** Flights whose outcome is not decided yet. */
  get unsettled(): number {
    return this.#unsettled.size;
  }

  /** A backend write: later loads of `key` return a new version. */
  write(key: string): void {
    this.#version.set(key, this.version(key) + 1);
  }

  /**
   * `get(key)`, with the signal of controller `controller` (`aborted` telling
   * whether it already is). Returns the caller and the loads it started.
   */
  get(key: string, controller: number | undefined, aborted: boolean) {
    const caller: ModelCaller = {
      id: this.callers.length,
      key,
      controller,
      startedAt: this.now,
      startSeq: this.seq,
      startEpoch: this.epoch(key),
      versionFloor: this.#versionFloor.get(key) ?? 0,
      how: 'rejected',
      flight: undefined,
      attached: false,
      expected: undefined,
    };
    this.callers.push(caller);
    const started: ModelFlight[] = [];
    const fresh = this.#entries.fresh(key, this.now);
    if (fresh !== undefined && controller === undefined) {
      this.#counters.hits++;
      caller.how = 'hit';
      caller.expected = answerOf(fresh);
    } else if (this.disposed) {
      caller.expected = { kind: 'disposed', token: --this.#disposeTokens };
    } else if (controller !== undefined && aborted) {
      caller.expected = { kind: 'aborted', controller };
    } else if (fresh !== undefined) {
      this.#counters.hits++;
      caller.how = 'hit';
      caller.expected = answerOf(fresh);
    } else {
      const stale = this.#staleAnswer(key, started);
      if (stale !== undefined) {
        caller.how = 'stale';
        caller.expected = { kind: 'value', load: stale.load };
      } else {
        this.#counters.misses++;
        let flight = this.#owned.get(key);
        if (flight === undefined) {
          flight = this.#start(key, false);
          started.push(flight);
          caller.how = 'started';
        } else {
          this.#counters.coalescedWaits++;
          caller.how = 'joined';
        }
        this.#join(flight, caller);
      }
    }
    return { caller, started };
  }

  /** Controller `controller` aborts: its callers still listening leave, in the order they joined. */
  abort(controller: number): void {
    for (const caller of this.callers) {
      if (caller.controller !== controller || !caller.attached) continue;
      const flight = caller.flight as ModelFlight;
      caller.attached = false;
      caller.expected = { kind: 'aborted', controller };
      this.#counters.cancellations++;
      flight.leavable--;
      if (flight.leavable === 0 && !flight.pinned && flight.outcome === undefined) {
        this.#release(flight);
        flight.sourceAbort = { kind: 'aborted', controller };
        this.#settle(flight, { kind: 'aborted', controller });
      }
    }
  }

  /** The value `peek(key)` must return: the load whose value is held fresh, if any. */
  peek(key: string): number | undefined {
    const entry = this.#entries.fresh(key, this.now);
    return entry === undefined || entry.negative ? undefined : entry.load;
  }

  /** `size`: reclaims, then counts. */
  size(): number {
    this.#entries.reclaim(this.now);
    return this.#entries.size;
  }

  /** `invalidate(key)`; returns what it must return. */
  invalidate(key: string): boolean {
    this.#owned.delete(key);
    this.#entries.reclaim(this.now);
    const hadEntry = this.#entries.delete(key);
    if (hadEntry) this.#counters.invalidations++;
    this.#bumpEpoch(key);
    return hadEntry;
  }

  /** `clear()` over the keys in play. */
  clear(keys: readonly string[]): void {
    this.#entries.reclaim(this.now);
    this.#counters.invalidations += this.#entries.size;
    this.#owned.clear();
    this.#entries.clear();
    for (const key of keys) this.#bumpEpoch(key);
  }

  /** `dispose()`: every unsettled flight is cut short with one `CacheDisposedError`. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const token = ++this.#disposeTokens;
    for (const flight of [...this.#unsettled]) {
      flight.sourceAbort = { kind: 'disposed', token };
      this.#settle(flight, { kind: 'disposed', token });
    }
    this.#owned.clear();
    this.#entries.clear();
  }

  /** The source settled load `id`; the cache sees it at the next yield. */
  sourceSettled(id: number, ok: boolean, notFound: boolean): void {
    const flight = this.flights[id] as ModelFlight;
    flight.sourceSettled = true;
    this.#deliveries.push({ flight, ok, notFound });
  }

  /** The earliest pending load timeout due by `limit`, if any. */
  nextTimeout(limit: number): number | undefined {
    let next: number | undefined;
    for (const flight of this.#unsettled) {
      const at = flight.timeoutAt;
      if (at !== undefined && at <= limit && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  /** Moves time to `time` and fires the load timeouts due then, oldest load first. */
  advanceTo(time: number): void {
    this.now = time;
    const due = [...this.#unsettled].filter((flight) => flight.timeoutAt === time);
    for (const flight of due.sort((a, b) => a.id - b.id)) {
      if (flight.outcome !== undefined) continue;
      const error: Expected = { kind: 'timeout', load: flight.id };
      this.#counters.loadTimeouts++;
      this.#countFailure(flight);
      flight.sourceAbort = error;
      this.#fail(flight, error, false);
    }
  }

  /**
   * Microtasks run. Jobs already queued run first: callers of flights settled
   * before this turn are told, and the cache sees every source result since the
   * last yield, in order. A `tick` stops there (what those jobs queue waits for
   * the next yield); a `flush` runs everything.
   */
  yieldTurn(kind: 'tick' | 'flush'): void {
    const waiting = this.#unpropagated;
    this.#unpropagated = [];
    for (const flight of waiting) this.#propagate(flight);
    const deliveries = this.#deliveries;
    this.#deliveries = [];
    for (const delivery of deliveries) this.#deliver(delivery);
    if (kind === 'flush') {
      for (const flight of this.#unpropagated) this.#propagate(flight);
      this.#unpropagated = [];
    }
  }

  #bumpEpoch(key: string): void {
    this.#epoch.set(key, this.epoch(key) + 1);
    this.#versionFloor.set(key, this.version(key));
  }

  /** `L1Cache#staleAnswer`: a stale value within a window, or nothing. */
  #staleAnswer(key: string, started: ModelFlight[]): ModelEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const { now } = this;
    if (entry.negative || now >= entry.freshUntil + this.#staleWindowMs) {
      this.#entries.expire(key);
      return undefined;
    }
    const { staleWhileRevalidateMs, staleIfErrorMs } = this.#options;
    const retryAt = this.#trackRetries ? entry.retryAt : 0;
    const revalidating = now < entry.freshUntil + staleWhileRevalidateMs;
    if (!revalidating && !(now < entry.freshUntil + staleIfErrorMs && now < retryAt)) {
      return undefined;
    }
    if (revalidating && now >= retryAt && !this.#owned.has(key)) {
      started.push(this.#start(key, true));
    }
    this.#counters.staleHits++;
    return entry;
  }

  #start(key: string, background: boolean): ModelFlight {
    const { loadTimeoutMs } = this.#options;
    const flight: ModelFlight = {
      id: this.flights.length,
      key,
      background,
      startedAt: this.now,
      startEpoch: this.epoch(key),
      version: this.version(key),
      timeoutAt: loadTimeoutMs === undefined ? undefined : this.now + loadTimeoutMs,
      callers: [],
      pinned: background,
      hasCallers: false,
      leavable: 0,
      outcome: undefined,
      sourceAbort: undefined,
      sourceSettled: false,
      deliveredAt: undefined,
      deliveredSeq: undefined,
    };
    this.flights.push(flight);
    this.#owned.set(key, flight);
    this.#unsettled.add(flight);
    this.#counters.loads++;
    if (background) this.#counters.refreshes++;
    // Where the real cache calls the source, which may call back into it.
    this.#hooks.sourceCalled(flight);
    return flight;
  }

  #join(flight: ModelFlight, caller: ModelCaller): void {
    flight.hasCallers = true;
    flight.callers.push(caller);
    caller.flight = flight;
    if (caller.controller === undefined) {
      flight.pinned = true;
      // Settled already, by a re-entrant call from the source.
      if (flight.outcome !== undefined) caller.expected = flight.outcome;
    } else {
      flight.leavable++;
      caller.attached = true;
    }
  }

  /** Decides `flight`'s outcome; callers without a signal have it now, the others at propagation. */
  #settle(flight: ModelFlight, outcome: Expected): void {
    if (flight.outcome !== undefined) return;
    flight.outcome = outcome;
    this.#unsettled.delete(flight);
    for (const caller of flight.callers) {
      if (caller.controller === undefined) caller.expected = outcome;
    }
    this.#unpropagated.push(flight);
  }

  #propagate(flight: ModelFlight): void {
    for (const caller of flight.callers) {
      if (!caller.attached) continue;
      caller.attached = false;
      caller.expected = flight.outcome;
    }
  }

  #release(flight: ModelFlight): boolean {
    if (this.#owned.get(flight.key) !== flight) return false;
    this.#owned.delete(flight.key);
    return true;
  }

  #deliver({ flight, ok, notFound }: Delivery): void {
    flight.deliveredAt = this.now;
    flight.deliveredSeq = this.seq;
    // Late: timed out, abandoned or disposed before the source answered.
    if (flight.outcome !== undefined) return;
    if (!ok) {
      this.#countFailure(flight);
      this.#fail(flight, { kind: 'source-error', load: flight.id }, notFound);
      return;
    }
    const value: Expected = { kind: 'value', load: flight.id };
    // Disowned by an invalidation: its callers get the value, nothing is stored.
    if (this.#owned.get(flight.key) !== flight) {
      this.#settle(flight, value);
      return;
    }
    // The TTL function runs while the flight still owns its key, and may
    // re-enter the cache; ownership is asked again afterwards.
    this.#hooks.ttlCalled(flight);
    const ttl = ttlOf(this.#options, loadedValueOf(flight));
    if (flight.outcome !== undefined) return;
    if (ttl === undefined) {
      this.#countFailure(flight);
      this.#fail(flight, { kind: 'ttl-error', load: flight.id }, false);
      return;
    }
    if (!this.#release(flight)) {
      this.#settle(flight, value);
      return;
    }
    if (ttl === 0) {
      this.#entries.replace(flight.key);
    } else {
      const freshUntil = this.now + ttl;
      const entry: ModelEntry = {
        load: flight.id,
        negative: false,
        freshUntil,
        removeAt: freshUntil + this.#staleWindowMs,
        retryAt: 0,
      };
      this.#entries.store(flight.key, entry, this.now);
    }
    this.#settle(flight, value);
  }

  #countFailure(flight: ModelFlight): void {
    this.#counters.loadFailures++;
    if (flight.background) this.#counters.refreshFailures++;
  }

  #fail(flight: ModelFlight, error: Expected, notFound: boolean): void {
    if (this.#release(flight)) this.#failOwned(flight, error, notFound);
    else this.#settle(flight, error);
  }

  /** Negative caching, then fail-safe, then the error itself. */
  #failOwned(flight: ModelFlight, error: Expected, notFound: boolean): void {
    const { key } = flight;
    const { now } = this;
    const { notFoundTtlMs, staleIfErrorMs, failSafeRetryMs } = this.#options;
    if (notFound) {
      if (notFoundTtlMs > 0) {
        const until = now + notFoundTtlMs;
        const entry: ModelEntry = {
          load: flight.id,
          negative: true,
          freshUntil: until,
          removeAt: until,
          retryAt: 0,
        };
        this.#entries.store(key, entry, now);
      } else {
        this.#entries.replace(key);
      }
      this.#settle(flight, error);
      return;
    }
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.negative) {
      this.#settle(flight, error);
      return;
    }
    if (this.#trackRetries) entry.retryAt = now + failSafeRetryMs;
    if (now >= entry.freshUntil + staleIfErrorMs) {
      this.#settle(flight, error);
      return;
    }
    if (flight.hasCallers) this.#counters.failSafeFallbacks++;
    this.#settle(flight, { kind: 'value', load: entry.load });
    // Published once the fallback is handed over; a subscriber may re-enter.
    this.#hooks.failSafePublished(flight);
  }
}

/** The value load `flight` returns if it succeeds (same fields as the source's). */
export function loadedValueOf(flight: ModelFlight): LoadedValue {
  return { key: flight.key, version: flight.version, load: flight.id };
}

function answerOf(entry: ModelEntry): Expected {
  return entry.negative
    ? { kind: 'source-error', load: entry.load }
    : { kind: 'value', load: entry.load };
}
