/** The bounds of {@link reconnectDelay}. */
export interface BackoffBounds {
  /** The delay ceiling before the first retry, in milliseconds. */
  readonly minDelayMs: number;
  /** The cap every delay stays under, in milliseconds. */
  readonly maxDelayMs: number;
}

/**
 * How long a transport (a LISTEN connection, a stream reader) waits before
 * reconnect attempt `attempt` (0 for the first retry):
 * capped exponential backoff with "equal jitter". The ceiling doubles with each
 * attempt from `minDelayMs` up to `maxDelayMs`, and the delay is drawn from the
 * upper half of it, so instances that lost the same server do not come back in
 * lockstep, and none retries in a tight loop.
 *
 * @param random - a source of numbers in `[0, 1)`.
 * @default random Math.random
 *
 * @example
 * reconnectDelay(0, { minDelayMs: 100, maxDelayMs: 5_000 }); // 50..100
 * reconnectDelay(10, { minDelayMs: 100, maxDelayMs: 5_000 }); // 2_500..5_000
 */
export function reconnectDelay(
  attempt: number,
  bounds: BackoffBounds,
  random: () => number = Math.random,
): number {
  // 2 ** 31 is far past any cap; bounding the exponent keeps the product finite.
  const ceiling = Math.min(bounds.maxDelayMs, bounds.minDelayMs * 2 ** Math.min(attempt, 31));
  const half = ceiling / 2;
  return Math.round(half + random() * half);
}
