import { ModelViolation } from './violation.js';

/** An entry the model expects the cache to hold. */
export interface ModelEntry {
  /** The load that wrote it. */
  readonly load: number;
  /** A remembered `NotFound`: `load`'s error. */
  readonly negative: boolean;
  readonly freshUntil: number;
  /** When it outlives every window and may be reclaimed. */
  readonly removeAt: number;
  /** Before when a failed reload may not be retried (fail-safe). */
  retryAt: number;
}

/**
 * The model of `EntryStore`: the entries held, reclaimed exactly at their
 * removal deadline (every duration in the scenarios is a multiple of the timer
 * wheel's resolution, so the real store is exact too), overwritten in place, and
 * evicted past `maxEntries`. Which entry is evicted is the policy's choice and
 * is not modelled: `takeEviction` reads it from the cache's `evict` events, and
 * the model checks that an entry leaves exactly when the bound requires it and
 * that it was one held.
 */
export class ModelEntries {
  readonly #entries = new Map<string, ModelEntry>();
  readonly #maxEntries: number;
  readonly #takeEviction: () => string | undefined;
  #evictions = 0;
  #expirations = 0;
  #replacements = 0;

  constructor(maxEntries: number, takeEviction: () => string | undefined) {
    this.#maxEntries = maxEntries;
    this.#takeEviction = takeEviction;
  }

  /** Entries removed on their own or replaced, as `stats()` counts them. */
  get removals(): {
    readonly evictions: number;
    readonly expirations: number;
    readonly replacements: number;
  } {
    return {
      evictions: this.#evictions,
      expirations: this.#expirations,
      replacements: this.#replacements,
    };
  }

  /** Entries held, expired ones not yet reclaimed included. */
  get size(): number {
    return this.#entries.size;
  }

  get(key: string): ModelEntry | undefined {
    return this.#entries.get(key);
  }

  /** `key`'s entry if it is fresh at `now`. */
  fresh(key: string, now: number): ModelEntry | undefined {
    const entry = this.#entries.get(key);
    return entry !== undefined && now < entry.freshUntil ? entry : undefined;
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Removes `key`'s entry because a newer load replaced it with nothing. */
  replace(key: string): void {
    if (this.#entries.delete(key)) this.#replacements++;
  }

  /** Removes `key`'s entry because it outlived its windows. */
  expire(key: string): void {
    if (this.#entries.delete(key)) this.#expirations++;
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Removes every entry whose removal deadline has passed by `now`. */
  reclaim(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.removeAt <= now) this.expire(key);
    }
  }

  /** `EntryStore#store`: overwrite in place, or reclaim, insert, and evict past the bound. */
  store(key: string, entry: ModelEntry, now: number): void {
    if (this.#entries.has(key)) {
      this.#replacements++;
      this.#entries.set(key, entry);
      return;
    }
    this.reclaim(now);
    this.#entries.set(key, entry);
    if (this.#entries.size <= this.#maxEntries) return;
    const victim = this.#takeEviction();
    if (victim === undefined) {
      throw new ModelViolation(
        `inserting '${key}' took the store past maxEntries ${this.#maxEntries}, but nothing was evicted`,
      );
    }
    if (!this.#entries.delete(victim)) {
      throw new ModelViolation(`the cache evicted '${victim}', which it did not hold`);
    }
    this.#evictions++;
  }
}
