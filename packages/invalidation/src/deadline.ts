import type { Scheduler } from '@aa/core';
import { INVALIDATION_ERROR_CODES, InvalidationError } from './invalidation-error.js';

const noop = (): void => {};

/**
 * Settles as `promise` does, unless `ms` pass first on `scheduler` (then it
 * rejects with an `InvalidationError` `Timeout` naming `what`) or `signal`
 * aborts first (then it rejects with the signal's reason). Either way the timer
 * is cleared, and a later rejection of `promise` is observed, so abandoning it
 * raises no unhandled rejection: whoever set it off must also stop it (close the
 * connection, abort the request).
 *
 * @example
 * await withDeadline(client.query('SELECT 1'), 5_000, 'heartbeat', scheduler, signal);
 */
export function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  scheduler: Scheduler,
  signal?: AbortSignal,
): Promise<T> {
  if (signal?.aborted) {
    promise.catch(noop);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      settle();
      reject(signal?.reason);
    };
    const timer = scheduler.setTimeout(() => {
      settle();
      reject(
        new InvalidationError(
          INVALIDATION_ERROR_CODES.Timeout,
          `${what}: no answer within ${ms} ms`,
        ),
      );
    }, ms);
    const settle = (): void => {
      scheduler.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}

/**
 * Waits `ms` on `scheduler`. Resolves early, without error, when `signal`
 * aborts, and clears its timer then.
 *
 * @returns whether the full delay elapsed (`false`: aborted).
 */
export function sleep(ms: number, scheduler: Scheduler, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      scheduler.clearTimeout(timer);
      resolve(false);
    };
    const timer = scheduler.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
