/**
 * Whether `value` is a promise or any other thenable: what a caller awaits when
 * user code (a sink, a callback) may answer synchronously or asynchronously.
 * A synchronous answer then costs no extra tick.
 *
 * @example
 * const result = sink.invalidate(id);
 * if (isThenable(result)) await result;
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
