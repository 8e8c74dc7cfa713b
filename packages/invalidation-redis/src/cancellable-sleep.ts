/**
 * Waits `ms` milliseconds on an `unref()`'d timer, so a pending wait never keeps
 * the process alive. Resolves early, without error, when `signal` aborts, and
 * clears its timer then.
 *
 * @returns whether the full delay elapsed (`false`: aborted).
 */
export function cancellableSleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
