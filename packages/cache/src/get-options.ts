import { describeValue } from '@aa/core';

/** Per-call options of {@link L1Cache.get}. */
export interface GetOptions {
  /**
   * Aborting it rejects this caller at once with `signal.reason`; the shared load
   * goes on for the other callers, and is cancelled (its source signal aborted)
   * when every caller has gone. An already-aborted signal rejects at once
   * without starting a load, and so does one aborted while the source's
   * `load()` runs synchronously. Any number of concurrent gets may share one
   * signal: the cache registers one `abort` listener on it, not one per caller.
   */
  readonly signal?: AbortSignal | undefined;
}

// The getters of the platform's own AbortSignal: they throw for an object that
// only inherits from AbortSignal.prototype, which `instanceof` cannot tell
// apart, and cannot be overridden by the object itself.
const abortedOf = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')?.get as (
  this: AbortSignal,
) => boolean;
const reasonOf = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'reason')?.get as (
  this: AbortSignal,
) => unknown;

/**
 * The signal of `get`'s per-call `options`, read once; `undefined` when there is
 * none. Options that are not an object count as none, as before.
 *
 * @throws whatever a getter of `options` throws, or a `TypeError` when the
 *   signal is not a platform `AbortSignal`; `get` turns either into a rejection.
 */
export function signalOf(options: unknown): AbortSignal | undefined {
  if (typeof options !== 'object' || options === null) return undefined;
  const signal: unknown = (options as GetOptions).signal;
  if (signal === undefined) return undefined;
  if (!isAbortSignal(signal)) {
    throw new TypeError(
      `Expected \`options.signal\` to be an AbortSignal, got ${describeValue(signal)}`,
    );
  }
  return signal;
}

/** Whether `signal` has aborted, asked of the platform, not of the object. */
export function isAborted(signal: AbortSignal): boolean {
  return abortedOf.call(signal);
}

/** Why `signal` aborted, asked of the platform, not of the object. */
export function abortReason(signal: AbortSignal): unknown {
  return reasonOf.call(signal);
}

function isAbortSignal(value: unknown): value is AbortSignal {
  try {
    abortedOf.call(value as AbortSignal);
    return true;
  } catch {
    return false;
  }
}
