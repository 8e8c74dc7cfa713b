import { CLEAR_CAUSES } from '@aa/invalidation';

/**
 * Why a gateway subscriber cleared its sinks: the keys of
 * `stats().clearCauses` and the `cause` on the `aa:invalidation:clear`
 * diagnostics channel.
 *
 * - `start`: the first subscription; whatever a sink held before was never covered.
 * - `published`: the gateway sent a `PolicyInvalidated` with an empty
 *   `agent_id` ("every agent", sent on every policy apply).
 * - `sequence-restart`: a sequence number at or below the last one applied:
 *   the gateway restarted (its slots live only in memory) and numbers from 1 again.
 * - `sequence-jump`: a sequence number past the next one: the replay ring
 *   overflowed while the subscriber was away, or its live channel lagged and
 *   dropped events.
 * - `unproven-resume`: after a reconnect the gateway replayed nothing (no event
 *   before its answer to a PING sent once the stream was open, or within
 *   `resumeGraceMs`), so nothing proves that no event was missed (a restarted
 *   gateway replays nothing too).
 * - `malformed`: an event that does not parse (an unknown payload, an agent id
 *   that is not a UUID, a message that is not protobuf or is over 4 MiB); the
 *   subscriber never guesses.
 */
export const GATEWAY_CLEAR_CAUSES = Object.freeze({
  start: CLEAR_CAUSES.start,
  published: CLEAR_CAUSES.published,
  sequenceRestart: 'sequence-restart',
  sequenceJump: 'sequence-jump',
  unprovenResume: 'unproven-resume',
  malformed: CLEAR_CAUSES.malformed,
});

/** One of {@link GATEWAY_CLEAR_CAUSES}. */
export type GatewayClearCause = (typeof GATEWAY_CLEAR_CAUSES)[keyof typeof GATEWAY_CLEAR_CAUSES];
