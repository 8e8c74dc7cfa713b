import { CACHE_ERROR_CODES, isCacheError, monotonicClock } from '@aa/cache';
import { isStorageError } from '@aa/core';
// The contract's safety rules, shared with the property test of @aa/cache,
// which holds the cache to them under every interleaving it generates.
import { answerSafetyViolation } from '@aa/test-infra/answer-safety';
import type { KeySpace } from './key-space.js';
import type { Violations } from './violations.js';

/** What the source answered to one load, attached to the very object it answered with. */
export interface Answer {
  /** The key index loaded. */
  readonly key: number;
  /** Sequence number of the source call (see {@link KeySpace.next}). */
  readonly calledAt: number;
  /** When the source answered, in `performance.now()` milliseconds. */
  readonly answeredAt: number;
  /** When the source answered, on the cache's clock (`monotonicClock`). */
  readonly answeredOnClock: number;
  /** The version answered; 0 unless `kind` is `'value'`. */
  readonly version: number;
  readonly kind: 'value' | 'notFound' | 'failure';
}

/** The limits the oracle holds the cache to, from its options plus stated slack. */
export interface OracleLimits {
  readonly ttlMs: number;
  readonly ttlJitter: number;
  /** The longer of `staleWhileRevalidateMs` and `staleIfErrorMs`. */
  readonly staleWindowMs: number;
  readonly notFoundTtlMs: number;
  readonly loadTimeoutMs: number;
  /**
   * Allowed lateness of a caller past `loadTimeoutMs`, beyond the longest time
   * timers could not run while it waited (see the `timerStall` argument of the
   * {@link Oracle} constructor).
   */
  readonly waitSlackMs: number;
  /**
   * How far the cache's clock may trail real time. The default clock keeps
   * one reading per task (a callback and its microtasks), so it trails by as long as a task runs;
   * a lag past this means it stopped moving.
   */
  readonly maxClockLagMs: number;
}

/**
 * Rounding allowed in age checks on the cache's clock. A value is committed in
 * the same turn as the source answers, so on that clock the commit and the
 * answer carry the same reading and the checks are exact.
 */
const CLOCK_EPSILON_MS = 0.001;

/** Slow callers awaiting judgement beyond this many are violations outright. */
const MAX_SLOW_CALLERS = 10_000;

interface SlowCaller {
  readonly start: GetStart;
  readonly settledAt: number;
}

/** How a get settled, for the report. */
export type Outcome =
  | 'value'
  | 'notFound'
  | 'backendError'
  | 'loadTimeout'
  | 'aborted'
  | 'disposed'
  | 'unexpected';

/** The reason every soak caller aborts its own signal with; never an Error, to stay cheap. */
export class SoakAbort {
  readonly caller: number;
  constructor(caller: number) {
    this.caller = caller;
  }
}

/** What was true when a get started, against which its outcome is judged. */
export interface GetStart {
  readonly key: number;
  /** `performance.now()` when the get was called. */
  readonly at: number;
  /** The cache's clock when the get was called: the reading the cache judges it by. */
  readonly onClock: number;
  /** The source call its result must come from a load begun after. */
  readonly requiredSequence: number;
  /** The oldest version it may resolve with. */
  readonly floor: number;
  /** Its own abort reason, when it passed a signal. */
  readonly abortReason: SoakAbort | undefined;
}

/** How far past their windows, in real time, answers were served: the per-turn clock's cost. */
export interface Overshoot {
  /** Values or NotFounds served after their window had ended in real time. */
  count: number;
  /** The most, in ms. */
  maxMs: number;
  /** The most the cache's clock trailed real time when a get started, in ms. */
  maxClockLagMs: number;
}

/**
 * Judges every get's outcome against the key space's history and the
 * source's record of what it answered, recording a violation for each broken
 * invariant:
 *
 * - a value (or a remembered NotFound, or an error) comes from a load of the
 *   same key that began after the last invalidation or clear of that key that
 *   completed before the get started, and is no older a version than the one
 *   committed before that invalidation;
 * - on the cache's clock, a value is not served past its TTL (with jitter)
 *   plus the stale window, nor a NotFound past `notFoundTtlMs`; a failure or a
 *   timeout never reaches a get that started after it was delivered (errors
 *   are not cached);
 * - a known agent never gets NotFound; nothing but the source's own answers,
 *   `LoadTimeoutError`, the caller's own abort reason (and, once disposed,
 *   `CacheDisposedError`) ever reaches a caller;
 * - no caller waits longer than `loadTimeoutMs` plus slack plus the timer
 *   longest timer stall meanwhile, in real time (judged later, by
 *   {@link Oracle.judgeSlowCallers});
 * - the cache's clock trails real time by no more than `maxClockLagMs`.
 *
 * Ages are judged on the cache's own clock because its default clock reads
 * `performance.now()` once per task, by design: within a long task
 * an entry is served for as long past its expiry as the turn has run. How far
 * that took answers past their windows in real time is measured, not failed
 * ({@link overshoot}); a clock that stops is a violation.
 */
export class Oracle {
  readonly #keys: KeySpace;
  readonly #limits: OracleLimits;
  readonly #violations: Violations;
  /** Provenance of every object the source answered with, value or error. */
  readonly #answers = new WeakMap<object, Answer>();
  /** When each LoadTimeoutError was first seen by a caller, on the cache's clock. */
  readonly #firstSeen = new WeakMap<object, number>();
  readonly #maxValueAgeMs: number;
  readonly #timerStall: (from: number, to: number) => number;
  #slowCallers: SlowCaller[] = [];
  /** Whether the cache has been disposed: CacheDisposedError is then expected. */
  disposed = false;
  readonly overshoot: Overshoot = { count: 0, maxMs: 0, maxClockLagMs: 0 };

  /**
   * @param timerStall - the longest time timers could not run between two
   *   times (`performance.now()` ms): the cache's load timeout is a timer, so
   *   a caller may wait that much longer through no fault of the cache.
   */
  constructor(
    keys: KeySpace,
    limits: OracleLimits,
    violations: Violations,
    timerStall: (from: number, to: number) => number = () => 0,
  ) {
    this.#keys = keys;
    this.#limits = limits;
    this.#violations = violations;
    this.#timerStall = timerStall;
    this.#maxValueAgeMs = limits.ttlMs * (1 + limits.ttlJitter) + limits.staleWindowMs;
  }

  /** Registers what the source answered with, so an outcome can be traced to its load. */
  answered(answer: object, record: Answer): void {
    this.#answers.set(answer, record);
  }

  /** Judges a get that resolved with `value` at `settledAt` (real time). */
  resolved(start: GetStart, value: unknown, settledAt: number): Outcome {
    this.#checkTiming(start, settledAt);
    const answer =
      typeof value === 'object' && value !== null ? this.#answers.get(value) : undefined;
    if (answer === undefined || answer.kind !== 'value') {
      this.#violate('foreign-value', start, 'resolved with a value the source never answered');
      return 'value';
    }
    this.#judgeAnswer(start, answer, this.#maxValueAgeMs, 'expired-value');
    this.#measureOvershoot(start, answer, this.#maxValueAgeMs);
    return 'value';
  }

  /** Judges a get that rejected with `error` at `settledAt` (real time). */
  rejected(start: GetStart, error: unknown, settledAt: number): Outcome {
    this.#checkTiming(start, settledAt);
    if (error instanceof SoakAbort) {
      if (error !== start.abortReason) {
        this.#violate(
          'foreign-abort',
          start,
          `rejected with caller ${error.caller}'s abort reason`,
        );
      }
      return 'aborted';
    }
    if (isStorageError(error)) return this.#storageError(start, error);
    if (isCacheError(error, CACHE_ERROR_CODES.LoadTimeout)) {
      if (error.key !== this.#keys.ids[start.key]) {
        this.#violate('wrong-key', start, 'LoadTimeoutError of another key');
      }
      const firstSeen = this.#firstSeen.get(error);
      if (firstSeen === undefined) this.#firstSeen.set(error, monotonicClock.now());
      else if (start.onClock > firstSeen + CLOCK_EPSILON_MS) {
        this.#violate(
          'error-cached',
          start,
          `a LoadTimeoutError delivered ${(start.onClock - firstSeen).toFixed(1)} ms before the get started`,
        );
      }
      return 'loadTimeout';
    }
    if (isCacheError(error, CACHE_ERROR_CODES.Disposed)) {
      if (!this.disposed) {
        this.#violate('disposed-error', start, 'CacheDisposedError before dispose()');
      }
      return 'disposed';
    }
    this.#violate('unexpected-error', start, describeError(error));
    return 'unexpected';
  }

  #storageError(start: GetStart, error: object & { kind: string }): Outcome {
    const answer = this.#answers.get(error);
    if (answer === undefined) {
      this.#violate('foreign-error', start, `a ${error.kind} error the source never answered`);
      return 'unexpected';
    }
    if (answer.kind === 'notFound') {
      if (this.#keys.version(start.key) > 0) {
        this.#violate('not-found-for-known-key', start, 'a known agent was reported NotFound');
      }
      this.#judgeAnswer(start, answer, this.#limits.notFoundTtlMs, 'expired-not-found');
      this.#measureOvershoot(start, answer, this.#limits.notFoundTtlMs);
      return 'notFound';
    }
    // Errors are never cached: a failure may reach only the gets that were waiting for it.
    this.#judgeAnswer(start, answer, 0, 'error-cached');
    return 'backendError';
  }

  /**
   * Holds the answer to the contract's safety rules, the ones the property
   * test of `@aa/cache` holds the cache to ({@link answerSafetyViolation}):
   * from a load of this key begun after the last invalidation the get must
   * see, no older a version than the floor, and no older on the cache's clock
   * than `servableForMs`; past that, a violation of kind `expiredKind`.
   */
  #judgeAnswer(
    start: GetStart,
    answer: Answer,
    servableForMs: number,
    expiredKind: 'expired-value' | 'expired-not-found' | 'error-cached',
  ): void {
    const violation = answerSafetyViolation(
      {
        key: start.key,
        startedAt: start.onClock,
        // Sequence numbers are unique: a load must have been called after the invalidation.
        loadsFrom: start.requiredSequence + 1,
        versionFloor: start.floor,
      },
      {
        key: answer.key,
        began: answer.calledAt,
        version: answer.kind === 'value' ? answer.version : undefined,
        deliveredAt: answer.answeredOnClock,
        // A get and the answer it joined may share one clock reading; a joined
        // get is never older than its answer, so the age rule holds for it.
        fromMemory: true,
        servableForMs,
      },
      CLOCK_EPSILON_MS,
    );
    if (violation === undefined) return;
    const kind = violation.rule === 'expired' ? expiredKind : violation.rule;
    this.#violate(kind, start, `${answer.kind} of load #${answer.calledAt}: ${violation.detail}`);
  }

  /** How much older than `maxAgeMs` the answer was in real time: measured, not failed. */
  #measureOvershoot(start: GetStart, answer: Answer, maxAgeMs: number): void {
    const overshoot = start.at - answer.answeredAt - maxAgeMs;
    if (overshoot > 0) {
      this.overshoot.count++;
      if (overshoot > this.overshoot.maxMs) this.overshoot.maxMs = overshoot;
    }
  }

  #checkTiming(start: GetStart, settledAt: number): void {
    const waited = settledAt - start.at;
    if (waited > this.#limits.loadTimeoutMs + this.#limits.waitSlackMs) {
      // Judged later, once the timers due while it waited have fired and
      // told how late they ran.
      if (this.#slowCallers.length < MAX_SLOW_CALLERS) this.#slowCallers.push({ start, settledAt });
      else this.#violate('slow-caller', start, `waited ${waited.toFixed(1)} ms`);
    }
    const lag = start.at - start.onClock;
    if (lag > this.overshoot.maxClockLagMs) this.overshoot.maxClockLagMs = lag;
    if (lag > this.#limits.maxClockLagMs) {
      this.#violate(
        'clock-stalled',
        start,
        `the cache's clock was ${lag.toFixed(1)} ms behind real time; the most allowed is ${this.#limits.maxClockLagMs} ms`,
      );
    }
  }

  /**
   * Judges the callers that waited past `loadTimeoutMs` + slack and settled
   * before `settledBefore`: a violation unless a timer stall meanwhile
   * explains the excess.
   */
  judgeSlowCallers(settledBefore: number): void {
    const { loadTimeoutMs, waitSlackMs } = this.#limits;
    const pending: SlowCaller[] = [];
    for (const caller of this.#slowCallers) {
      if (caller.settledAt >= settledBefore) {
        pending.push(caller);
        continue;
      }
      const { start, settledAt } = caller;
      const waited = settledAt - start.at;
      const stall = this.#timerStall(start.at, settledAt);
      if (waited > loadTimeoutMs + waitSlackMs + stall) {
        this.#violate(
          'slow-caller',
          start,
          `waited ${waited.toFixed(1)} ms; the limit is loadTimeoutMs ${loadTimeoutMs} + slack ${waitSlackMs} + timer stall ${stall.toFixed(1)} ms`,
        );
      }
    }
    this.#slowCallers = pending;
  }

  #violate(kind: string, start: GetStart, detail: string): void {
    this.#violations.record(
      kind,
      `get of key #${start.key} at ${start.at.toFixed(1)} ms: ${detail}`,
    );
  }
}

/** One short line about anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 200);
  return `non-Error ${typeof error}: ${String(error).slice(0, 100)}`;
}
