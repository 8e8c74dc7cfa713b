import { monotonicClock } from '@aa/cache';
import {
  type AgentId,
  type CacheSource,
  type LoadOptions,
  type PolicyDocument,
  type PolicyRule,
  StorageError,
} from '@aa/core';
import type { SeededRandom } from '../lib/prng.js';
import type { KeySpace } from './key-space.js';
import type { Oracle } from './oracle.js';
import type { Violations } from './violations.js';

/** How often, and how, the soak's backend misbehaves. */
export interface FaultProfile {
  /** Share of loads that fail with a `Backend` StorageError after their latency. */
  readonly failureRate: number;
  /** Share of loads that never answer unless their signal aborts (or hangs are released). */
  readonly hangRate: number;
  /** Share of loads answered at once, with an already-settled promise. */
  readonly immediateRate: number;
  /** The latency of every other load, in milliseconds. */
  latencyMs(random: SeededRandom): number;
}

/**
 * The soak's fault profile: 5 % failures, 1 % hangs, a third of loads
 * answered at once and the rest after a latency that is usually a few
 * milliseconds, sometimes tens, and now and then longer than the cache's
 * load timeout, so timeouts happen without hangs too.
 */
export const SOAK_FAULTS: FaultProfile = Object.freeze({
  failureRate: 0.05,
  hangRate: 0.01,
  immediateRate: 0.3,
  latencyMs(random: SeededRandom): number {
    const tier = random.nextFloat();
    if (tier < 0.6) return random.nextFloat() * 5;
    if (tier < 0.9) return 5 + random.nextFloat() * 35;
    if (tier < 0.99) return 40 + random.nextFloat() * 50;
    return 90 + random.nextFloat() * 210;
  },
});

/** {@link SOAK_FAULTS} in words, for the report. */
export const SOAK_FAULTS_SUMMARY =
  '5 % failures, 1 % hangs, 30 % answered at once, the rest after 0-5 ms (60 %), ' +
  '5-40 ms (30 %), 40-90 ms (9 %) or 90-300 ms (1 %, past the load timeout)';

const NO_RULES: readonly PolicyRule[] = Object.freeze([]);

interface LiveLoad {
  readonly calledAt: number;
}

/**
 * A backend for the soak: the {@link KeySpace} is its truth, read when a load
 * answers (as a real query reads when it runs), and it misbehaves per its
 * {@link FaultProfile}. Every answer is a new object, registered with the
 * {@link Oracle} with its key, version and timing, so whatever a caller gets
 * can be traced to the load that produced it.
 *
 * It also checks, on each call, that the cache never has two loads of one key
 * in flight that both still own it: a load begun before the key's last
 * invalidation or clear is disowned and may overlap, but no other may.
 */
export class FaultySource implements CacheSource<AgentId, PolicyDocument> {
  readonly #keys: KeySpace;
  readonly #oracle: Oracle;
  readonly #violations: Violations;
  readonly #random: SeededRandom;
  readonly #faults: FaultProfile;
  /** Loads not yet answered nor aborted, per key. */
  readonly #live = new Map<number, Set<LiveLoad>>();
  readonly #hung = new Set<() => void>();
  #liveCount = 0;
  #hangAll = false;
  /** Calls so far. */
  calls = 0;
  /** Loads that were hung (held until aborted or released). */
  hangs = 0;
  /** Loads whose signal aborted before they answered. */
  aborts = 0;

  constructor(
    keys: KeySpace,
    oracle: Oracle,
    violations: Violations,
    random: SeededRandom,
    faults: FaultProfile,
  ) {
    this.#keys = keys;
    this.#oracle = oracle;
    this.#violations = violations;
    this.#random = random;
    this.#faults = faults;
  }

  /** Loads in flight: called, not yet answered, not aborted. */
  get liveLoads(): number {
    return this.#liveCount;
  }

  /** From now on every load hangs (for the dispose check), or stops doing so. */
  hangEverything(hang: boolean): void {
    this.#hangAll = hang;
  }

  /** Lets every hung load answer now, late, from the key space's current state. */
  releaseHangs(): void {
    const hung = [...this.#hung];
    this.#hung.clear();
    for (const answer of hung) answer();
  }

  load(id: AgentId, options?: LoadOptions): Promise<PolicyDocument> {
    this.calls++;
    const key = this.#keys.indexOf(id);
    if (key === undefined) {
      this.#violations.record(
        'unknown-key-loaded',
        `the cache loaded ${id}, outside the key space`,
      );
      return Promise.reject(StorageError.notFound(`no agent ${id}`));
    }
    const calledAt = this.#keys.next();
    this.#checkSingleFlight(key);
    const signal = options?.signal;
    if (signal === undefined) {
      this.#violations.record('no-signal', 'the cache called load() without an AbortSignal');
    }
    if (signal?.aborted) {
      this.aborts++;
      return Promise.reject(signal.reason);
    }

    const roll = this.#random.nextFloat();
    const hang = this.#hangAll || roll < this.#faults.hangRate;
    const fail = !hang && roll < this.#faults.hangRate + this.#faults.failureRate;
    const immediate = !hang && this.#random.nextFloat() < this.#faults.immediateRate;
    const live: LiveLoad = { calledAt };
    this.#enter(key, live);

    return new Promise<PolicyDocument>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (): boolean => {
        if (!this.#leave(key, live)) return false;
        signal?.removeEventListener('abort', onAbort);
        if (timer !== undefined) clearTimeout(timer);
        this.#hung.delete(answer);
        return true;
      };
      const onAbort = () => {
        if (!finish()) return;
        this.aborts++;
        reject(signal?.reason);
      };
      const answer = () => {
        if (!finish()) return;
        this.#answer(key, calledAt, fail, resolve, reject);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (hang) {
        this.hangs++;
        this.#hung.add(answer);
      } else if (immediate) {
        answer();
      } else {
        timer = setTimeout(answer, this.#faults.latencyMs(this.#random));
      }
    });
  }

  #answer(
    key: number,
    calledAt: number,
    fail: boolean,
    resolve: (policy: PolicyDocument) => void,
    reject: (error: unknown) => void,
  ): void {
    const answeredAt = performance.now();
    const answeredOnClock = monotonicClock.now();
    const id = this.#keys.ids[key];
    if (fail) {
      const error = StorageError.backend(`injected failure loading agent ${id}`);
      this.#oracle.answered(error, {
        key,
        calledAt,
        answeredAt,
        answeredOnClock,
        version: 0,
        kind: 'failure',
      });
      reject(error);
      return;
    }
    const version = this.#keys.version(key);
    if (version === 0) {
      const error = StorageError.notFound(`no policy for agent ${id}`);
      this.#oracle.answered(error, {
        key,
        calledAt,
        answeredAt,
        answeredOnClock,
        version: 0,
        kind: 'notFound',
      });
      reject(error);
      return;
    }
    const policy: PolicyDocument = Object.freeze({
      version,
      name: `agent-${key}`,
      rules: NO_RULES,
      enforcement_mode: 'enforce',
    });
    this.#oracle.answered(policy, {
      key,
      calledAt,
      answeredAt,
      answeredOnClock,
      version,
      kind: 'value',
    });
    resolve(policy);
  }

  /** No load of `key` that still owns it (begun after its last invalidation) is in flight. */
  #checkSingleFlight(key: number): void {
    const live = this.#live.get(key);
    if (live === undefined) return;
    const required = this.#keys.requiredSequence(key);
    for (const load of live) {
      if (load.calledAt > required) {
        this.#violations.record(
          'concurrent-loads',
          `key #${key}: a second load began while load #${load.calledAt}, begun after the key's last invalidation (#${required}), was in flight`,
        );
        return;
      }
    }
  }

  #enter(key: number, load: LiveLoad): void {
    let live = this.#live.get(key);
    if (live === undefined) {
      live = new Set();
      this.#live.set(key, live);
    }
    live.add(load);
    this.#liveCount++;
  }

  /** Removes `load` from the live set; false if it had already left (answered or aborted). */
  #leave(key: number, load: LiveLoad): boolean {
    const live = this.#live.get(key);
    if (live === undefined || !live.delete(load)) return false;
    if (live.size === 0) this.#live.delete(key);
    this.#liveCount--;
    return true;
  }
}
