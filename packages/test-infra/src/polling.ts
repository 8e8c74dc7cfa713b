import { systemScheduler } from '@aa/core';
import { withDeadline as deadline } from '@aa/invalidation';

/** How often {@link waitUntil} asks its condition again. */
const POLL_INTERVAL_MS = 5;

/**
 * Settles as `promise` does, or rejects (an `InvalidationError` `Timeout`
 * naming `what`) if it has not within `ms` milliseconds: `@aa/invalidation`'s
 * `withDeadline` on the system clock. The timer is cleared either way, so
 * nothing is left behind; `promise` itself is not cancelled.
 *
 * @example
 * await withDeadline(proxy.close(), 2_000, 'the proxy to close');
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return deadline(promise, ms, `waiting for ${what}`, systemScheduler);
}

/**
 * Polls `condition` every 5 ms until it holds. An asynchronous condition (a
 * query, say) is itself bounded by what remains of the deadline, so a
 * condition that hangs fails the wait on time rather than hanging it.
 *
 * @param what - what is awaited, for the error message ("the subscriber to reconnect").
 * @param timeoutMs - how long it may take. @default 5_000
 * @throws Error "timed out after `timeoutMs` ms waiting for `what`" when it
 *   still does not hold, or has not answered, by then.
 *
 * @example
 * await waitUntil(() => sink.count('invalidate') === 1, 'the first invalidation');
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const timedOut = () => new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  for (;;) {
    const remaining = deadline - performance.now();
    const answer = condition();
    const holds =
      typeof answer === 'boolean'
        ? answer
        : await withDeadline(answer, Math.max(remaining, 1), what).catch((error: unknown) => {
            throw performance.now() >= deadline ? timedOut() : error;
          });
    if (holds) return;
    if (performance.now() > deadline) throw timedOut();
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** How far a promise got within a time: its outcome, or `pending`. */
export type SettledWithin<T> =
  | { readonly status: 'fulfilled'; readonly value: T }
  | { readonly status: 'rejected'; readonly reason: unknown }
  | { readonly status: 'pending' };

/**
 * Waits at most `ms` milliseconds for `promise` and says how far it got:
 * fulfilled (with its value), rejected (with its reason) or still pending.
 * Never rejects; `promise` is not cancelled.
 *
 * @example
 * expect(await settledWithin(store.getPolicy(id), 100)).toEqual({ status: 'pending' });
 */
export async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<SettledWithin<T>> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<{ status: 'pending' }>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'pending' }), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ status: 'fulfilled' as const, value }),
        (reason: unknown) => ({ status: 'rejected' as const, reason }),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
