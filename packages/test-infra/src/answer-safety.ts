/**
 * The cache contract's safety rules for one answer a `get` settled with, judged
 * from what a harness recorded itself (which load answered, when it began and
 * when the cache had its result), never from a prediction of the cache's
 * decisions.
 *
 * Two harnesses hold the cache to these rules: the model-based property test
 * of `@aa/cache` (`test/property/invariants.ts`, on a manual clock, every
 * interleaving it can generate) and the bench's fault soak
 * (`apps/bench/src/soak/oracle.ts`, real time and real concurrency for
 * minutes). Each records gets and loads in its own terms, maps them to
 * {@link JudgedGet} and {@link JudgedLoad}, and asks
 * {@link answerSafetyViolation}, so the two cannot come to disagree about what
 * the contract forbids. It is a subpath of its own
 * (`@aa/test-infra/answer-safety`) and imports nothing, so the cache's tests
 * take it without loading the test beds' drivers.
 */

/** What was true when a `get` began. */
export interface JudgedGet<K> {
  readonly key: K;
  /** When it began, on the clock the cache judges freshness by. */
  readonly startedAt: number;
  /**
   * The stamp a load must carry at least for its answer to reach this get: that
   * of the last invalidation of the key (or clear) to complete before the get
   * began. Stamps are the harness's own, on one ordered scale (the key's
   * invalidation epoch, or a sequence number every event takes).
   */
  readonly loadsFrom: number;
  /** The oldest version it may resolve with: the one current at that invalidation. */
  readonly versionFloor: number;
}

/** The load whose outcome a `get` settled with. */
export interface JudgedLoad<K> {
  readonly key: K;
  /** When it began, on the scale of {@link JudgedGet.loadsFrom}. */
  readonly began: number;
  /** The version it resolved with, or `undefined` for a rejection. */
  readonly version: number | undefined;
  /** When the cache had its outcome, on the cache's clock; `undefined` while it has not. */
  readonly deliveredAt: number | undefined;
  /**
   * Whether the outcome was delivered before the get began, so memory answered
   * the get rather than the load it joined. A harness that cannot tell (two
   * events on one clock reading) passes `true`: a get that joined the load
   * began no later than the delivery, so the age rule cannot fire for it.
   */
  readonly fromMemory: boolean;
  /**
   * How long after delivery memory may serve this outcome: the TTL the value
   * got plus the longer stale window, `notFoundTtlMs` for a `NotFound`, 0 for a
   * failure (errors are never cached) or a value not stored.
   */
  readonly servableForMs: number;
}

/** Which rule an answer broke. */
export type SafetyRule = 'wrong-key' | 'invalidated-load-served' | 'stale-version' | 'expired';

/** A broken rule, with what the harness should say about it. */
export interface SafetyViolation {
  readonly rule: SafetyRule;
  readonly detail: string;
}

/**
 * The contract's safety properties for one answer: it comes from a load of the
 * same key, begun after the last invalidation or clear of that key that
 * completed before the get began; a value is no older a version than the one
 * current at that invalidation; and nothing is served from memory outside its
 * window ({@link JudgedLoad.servableForMs}).
 *
 * @param toleranceMs - rounding allowed in the age rule, for a harness whose
 *   clock readings are floating point; 0 for a manual clock.
 * @returns the first rule broken, or `undefined`.
 */
export function answerSafetyViolation<K>(
  get: JudgedGet<K>,
  load: JudgedLoad<K>,
  toleranceMs = 0,
): SafetyViolation | undefined {
  if (load.key !== get.key) {
    return { rule: 'wrong-key', detail: `got the outcome of a load of ${String(load.key)}` };
  }
  if (load.began < get.loadsFrom) {
    return {
      rule: 'invalidated-load-served',
      detail: `got the outcome of a load begun at ${load.began}, before the invalidation (at ${get.loadsFrom}) that completed before the get`,
    };
  }
  if (load.version !== undefined && load.version < get.versionFloor) {
    return {
      rule: 'stale-version',
      detail: `saw version ${load.version}, older than version ${get.versionFloor} current at the invalidation before it`,
    };
  }
  if (!load.fromMemory || load.deliveredAt === undefined) return undefined;
  const servableUntil = load.deliveredAt + load.servableForMs;
  if (get.startedAt < servableUntil + toleranceMs) return undefined;
  return {
    rule: 'expired',
    detail: `began at t=${get.startedAt}, and got an outcome delivered at t=${load.deliveredAt}, servable until t=${servableUntil}`,
  };
}
