import { CACHE_ERROR_CODES, isCacheError, LoadTimeoutError } from '../../src/index.js';
import type { Expected } from './model-records.js';
import type { SourceLoad } from './scripted-source.js';

/** How a promise settled. */
export type Settled =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** What {@link OutcomeMatcher} needs to know of the run. */
export interface MatchContext {
  readonly loads: readonly SourceLoad[];
  readonly controllers: readonly AbortController[];
  readonly loadTimeoutMs: number | undefined;
}

/**
 * Compares actual outcomes with {@link Expected} ones. Errors the cache makes
 * itself are checked by class and, per load (or per disposal), by identity: all
 * callers of one load must get the very same error object.
 */
export class OutcomeMatcher {
  readonly #context: MatchContext;
  readonly #made = new Map<string, unknown>();

  constructor(context: MatchContext) {
    this.#context = context;
  }

  matches(expected: Expected, actual: Settled): boolean {
    const { loads, controllers, loadTimeoutMs } = this.#context;
    switch (expected.kind) {
      case 'value':
        return actual.ok && actual.value === loads[expected.load]?.value;
      case 'source-error':
        return !actual.ok && actual.error === loads[expected.load]?.error;
      case 'aborted':
        return !actual.ok && actual.error === controllers[expected.controller]?.signal.reason;
      case 'timeout':
        return (
          !actual.ok &&
          actual.error instanceof LoadTimeoutError &&
          actual.error.key === loads[expected.load]?.key &&
          actual.error.timeoutMs === loadTimeoutMs &&
          this.#same(`timeout ${expected.load}`, actual.error)
        );
      case 'ttl-error':
        return (
          !actual.ok &&
          actual.error instanceof TypeError &&
          this.#same(`ttl ${expected.load}`, actual.error)
        );
      case 'disposed':
        return (
          !actual.ok &&
          isCacheError(actual.error, CACHE_ERROR_CODES.Disposed) &&
          this.#same(`disposed ${expected.token}`, actual.error)
        );
    }
  }

  #same(token: string, error: unknown): boolean {
    if (!this.#made.has(token)) this.#made.set(token, error);
    return this.#made.get(token) === error;
  }
}

/** `expected`, for messages. */
export function describeExpected(expected: Expected | undefined): string {
  if (expected === undefined) return 'nothing yet (still pending)';
  switch (expected.kind) {
    case 'value':
      return `the value of load #${expected.load}`;
    case 'source-error':
      return `the error load #${expected.load} was rejected with`;
    case 'aborted':
      return `the abort reason of controller #${expected.controller}`;
    case 'timeout':
      return `a LoadTimeoutError for load #${expected.load}`;
    case 'ttl-error':
      return `the TypeError of ttlMs() for load #${expected.load}`;
    case 'disposed':
      return `a CacheDisposedError (disposal ${expected.token})`;
  }
}

/** `actual`, for messages. */
export function describeSettled(actual: Settled | undefined): string {
  if (actual === undefined) return 'still pending';
  if (actual.ok) {
    const value = actual.value as { key?: unknown; version?: unknown; load?: unknown };
    return `value ${String(value.key)}@v${String(value.version)} of load #${String(value.load)}`;
  }
  const { error } = actual;
  return error instanceof Error ? `${error.name}: ${error.message}` : `rejection ${String(error)}`;
}
