/**
 * The causes of a clear that the subscriber core gives itself, whatever the
 * transport: keys of `stats().clearCauses` and the `cause` on the
 * `aa:invalidation:clear` diagnostics channel. A transport adds its own for the
 * gaps it detects (Redis's `'trimmed'`, the gateway's `'sequence-jump'`, …).
 *
 * - `start`: the first connection; whatever a sink held before was never covered.
 * - `reconnect`: a reconnect that the transport cannot prove lossless.
 * - `published`: a publisher asked every sink to clear (an event for every agent).
 * - `malformed`: an event that does not parse; the subscriber never guesses.
 */
export const CLEAR_CAUSES = Object.freeze({
  start: 'start',
  reconnect: 'reconnect',
  published: 'published',
  malformed: 'malformed',
});

/** One of {@link CLEAR_CAUSES}. */
export type ClearCause = (typeof CLEAR_CAUSES)[keyof typeof CLEAR_CAUSES];
