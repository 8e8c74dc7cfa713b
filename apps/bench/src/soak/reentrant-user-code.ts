import diagnosticsChannel from 'node:diagnostics_channel';
import { CACHE_CHANNELS } from '@aa/cache';
import type { AgentId } from '@aa/core';
import type { SeededRandom } from '../lib/prng.js';
import type { KeySpace } from './key-space.js';

/** What the soak's user code calls back into: the cache's invalidation. */
interface Invalidating {
  invalidate(key: AgentId): unknown;
}

/** How often the soak's user code re-enters the cache. */
export interface ReentryRates {
  /** Share of `ttlMs` calls that invalidate the very key being stored. */
  readonly fromTtl: number;
  /** Share of removals whose `aa:cache:remove` subscriber invalidates a random key. */
  readonly fromRemoval: number;
}

/**
 * User code that calls back into the cache from where the cache calls it, as
 * the adversarial tests of the cache core do: a `ttlMs` function that
 * sometimes invalidates the key it is asked about (so the value must not be
 * stored), and an `aa:cache:remove` subscriber that sometimes invalidates
 * another key. Each re-entrant invalidation is recorded in the key space the
 * moment it returns, so the oracle holds every later get to it.
 */
export class ReentrantUserCode {
  readonly #keys: KeySpace;
  readonly #random: SeededRandom;
  readonly #rates: ReentryRates;
  readonly #ttlMs: number;
  #cache: Invalidating | undefined;
  /** Re-entrant invalidations made so far, by where they came from. */
  readonly counts = { fromTtl: 0, fromRemoval: 0 };

  constructor(keys: KeySpace, random: SeededRandom, rates: ReentryRates, ttlMs: number) {
    this.#keys = keys;
    this.#random = random;
    this.#rates = rates;
    this.#ttlMs = ttlMs;
  }

  /** The `ttlMs` option: always `ttlMs`, after sometimes invalidating its own key. */
  readonly ttlMs = (_value: unknown, key: AgentId): number => {
    if (this.#random.nextFloat() < this.#rates.fromTtl) {
      this.#invalidate(key);
      this.counts.fromTtl++;
    }
    return this.#ttlMs;
  };

  /** Starts re-entering `cache`, from its TTL function and its removal channel. */
  attach(cache: Invalidating): void {
    this.#cache = cache;
    diagnosticsChannel.subscribe(CACHE_CHANNELS.remove, this.#onRemove);
  }

  /** Stops re-entering from the removal channel. */
  detach(): void {
    diagnosticsChannel.unsubscribe(CACHE_CHANNELS.remove, this.#onRemove);
  }

  readonly #onRemove = (): void => {
    if (this.#random.nextFloat() >= this.#rates.fromRemoval) return;
    const key = this.#random.nextInt(this.#keys.size);
    this.#invalidate(this.#keys.ids[key] as AgentId);
    this.counts.fromRemoval++;
  };

  #invalidate(id: AgentId): void {
    this.#cache?.invalidate(id);
    const key = this.#keys.indexOf(id);
    if (key !== undefined) this.#keys.invalidated(key);
  }
}
