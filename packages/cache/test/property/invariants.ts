import { answerSafetyViolation } from '@aa/test-infra/answer-safety';
import type { ModelCaller, ModelFlight } from './model-records.js';
import {
  describeExpected,
  describeSettled,
  type OutcomeMatcher,
  type Settled,
} from './outcomes.js';
import { type LoadedValue, type ModelOptions, ttlOf } from './presets.js';
import type { SourceLoad } from './scripted-source.js';

/**
 * What the invariants read: the source's loads, and per load the harness's
 * own record of when it began (the key's invalidation epoch then) and when
 * the cache saw its result. None of it is a prediction of the cache's decisions.
 */
export interface InvariantContext {
  readonly options: ModelOptions;
  readonly loads: readonly SourceLoad[];
  readonly flights: readonly ModelFlight[];
  /** The error each rejected load was rejected with. */
  readonly errorLoad: ReadonlyMap<unknown, number>;
  /** The key's invalidation epoch now. */
  epoch(key: string): number;
}

/**
 * The contract's safety properties, from the outcome's stamps alone, whatever
 * the model predicted: no value (or remembered `NotFound`) of another key, none
 * from a load begun before an invalidation or clear that returned before the
 * `get` began, no version older than the one current at that invalidation, and
 * nothing served from memory outside its TTL and stale windows.
 *
 * @returns what is wrong, or `undefined`.
 */
export function safetyViolation(
  caller: ModelCaller,
  actual: Settled,
  context: InvariantContext,
): string | undefined {
  let loadIndex: number | undefined;
  if (actual.ok) {
    const value = actual.value as LoadedValue;
    loadIndex = value.load;
    if (context.loads[loadIndex]?.value !== value) {
      return `get #${caller.id} resolved with a value no load returned`;
    }
  } else {
    loadIndex = context.errorLoad.get(actual.error);
  }
  const load = loadIndex === undefined ? undefined : context.flights[loadIndex];
  if (load === undefined) return undefined;
  const { deliveredAt, deliveredSeq } = load;
  const violation = answerSafetyViolation(
    {
      key: caller.key,
      startedAt: caller.startedAt,
      loadsFrom: caller.startEpoch,
      versionFloor: caller.versionFloor,
    },
    {
      key: load.key,
      began: load.startEpoch,
      version: actual.ok ? (actual.value as LoadedValue).version : undefined,
      deliveredAt,
      fromMemory: deliveredSeq !== undefined && deliveredSeq < caller.startSeq,
      servableForMs: servableForMs(actual, context.options),
    },
  );
  return violation === undefined
    ? undefined
    : `${violation.rule}: get #${caller.id} ('${caller.key}') and load #${load.id} ('${load.key}'): ${violation.detail}`;
}

/** How long memory may serve `outcome` once its load has delivered it. */
function servableForMs(outcome: Settled, options: ModelOptions): number {
  if (!outcome.ok) return options.notFoundTtlMs;
  const ttl = ttlOf(options, outcome.value as LoadedValue);
  return ttl === undefined || ttl === 0
    ? 0
    : ttl + Math.max(options.staleWhileRevalidateMs, options.staleIfErrorMs);
}

/**
 * The source's view of loads in flight: at most one load per key that the
 * cache still owns (not yet seen settled, its signal not aborted, begun since
 * the key's last invalidation), as many keys with one as `pendingLoads` says;
 * every load given a signal, aborted exactly when, and why, the model says.
 *
 * @returns what is wrong, or `undefined`.
 */
export function inFlightViolation(
  context: InvariantContext,
  matcher: OutcomeMatcher,
  pendingLoads: number,
): string | undefined {
  const live = new Map<string, number[]>();
  for (const load of context.loads) {
    const flight = context.flights[load.index];
    if (flight === undefined) continue;
    const { signal } = load;
    if (signal === undefined) return `load #${load.index} was given no signal`;
    const expected = flight.sourceAbort;
    if (signal.aborted !== (expected !== undefined)) {
      return (
        `load #${load.index}: its signal is ${signal.aborted ? '' : 'not '}aborted, expected ` +
        (expected === undefined ? 'not' : describeExpected(expected))
      );
    }
    if (expected !== undefined && !matcher.matches(expected, { ok: false, error: signal.reason })) {
      return (
        `load #${load.index}: its signal was aborted with ${describeSettled({ ok: false, error: signal.reason })}, ` +
        `expected ${describeExpected(expected)}`
      );
    }
    const unseen = load.state === 'pending' || flight.deliveredSeq === undefined;
    if (unseen && !signal.aborted && flight.startEpoch === context.epoch(load.key)) {
      live.set(load.key, [...(live.get(load.key) ?? []), load.index]);
    }
  }
  for (const [key, indices] of live) {
    if (indices.length > 1) {
      return `loads #${indices.join(' and #')} of '${key}' are both in flight for the cache`;
    }
  }
  if (pendingLoads !== live.size) {
    return `pendingLoads is ${pendingLoads}, but ${live.size} key(s) have a load the cache owns`;
  }
  return undefined;
}
