import { GATEWAY_CLEAR_CAUSES } from './clear-causes.js';

/**
 * Whether event `seq` follows the last applied one, `last`, without a gap.
 * The gateway numbers each slot's events from 1, strictly increasing by one,
 * so anything but `last + 1` means events were lost: a number at or below
 * `last` is a restarted gateway numbering again, one past `last + 1` a ring
 * that overflowed or a live channel that lagged. `last` undefined: no event
 * is known yet after a clear, so any number is a valid start.
 *
 * @returns `undefined` when continuous, otherwise the clear cause.
 */
export function sequenceGap(
  last: number | undefined,
  seq: number,
):
  | typeof GATEWAY_CLEAR_CAUSES.sequenceRestart
  | typeof GATEWAY_CLEAR_CAUSES.sequenceJump
  | undefined {
  if (last === undefined || seq === last + 1) return undefined;
  return seq <= last ? GATEWAY_CLEAR_CAUSES.sequenceRestart : GATEWAY_CLEAR_CAUSES.sequenceJump;
}
