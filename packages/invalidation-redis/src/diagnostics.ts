import diagnosticsChannel from 'node:diagnostics_channel';
import type { GapReason } from './gap-detection.js';

/**
 * The `node:diagnostics_channel` names a subscriber publishes on, for logs and
 * metrics. Nothing is built or published while no one subscribes. Errors go to
 * the subscriber's `onError` instead.
 */
export const INVALIDATION_REDIS_CHANNELS = Object.freeze({
  /** The subscriber connected and established its position; {@link ConnectEvent}. */
  connect: 'aa:invalidation-redis:connect',
  /** The subscriber may have missed events and cleared its sinks; {@link GapEvent}. */
  gap: 'aa:invalidation-redis:gap',
});

/** A subscriber (re)connected. */
export interface ConnectEvent {
  readonly key: string;
  readonly connectionName: string;
  /** Whether an earlier connection of this subscriber was lost. */
  readonly reconnect: boolean;
  /** The position it reads on from. */
  readonly lastId: string;
}

/** A subscriber detected a gap and cleared its sinks. */
export interface GapEvent {
  readonly key: string;
  readonly connectionName: string;
  readonly reason: GapReason;
  /** Its position before the gap. */
  readonly lastId: string;
  /** Where it reads on from. */
  readonly resumeFrom: string;
}

/** The channel objects, created once. */
export const channels = {
  connect: diagnosticsChannel.channel(INVALIDATION_REDIS_CHANNELS.connect),
  gap: diagnosticsChannel.channel(INVALIDATION_REDIS_CHANNELS.gap),
};
