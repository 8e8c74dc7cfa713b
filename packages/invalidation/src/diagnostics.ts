import diagnosticsChannel from 'node:diagnostics_channel';

/**
 * The `node:diagnostics_channel` names every invalidation subscriber publishes
 * on, whatever its transport, for logs, metrics and traces. Nothing is built or
 * published while no one subscribes. Errors go to the subscriber's `onError`.
 */
export const INVALIDATION_CHANNELS = Object.freeze({
  /** A connection was established and subscribed; {@link ConnectEvent}. */
  connect: 'aa:invalidation:connect',
  /** An established connection was lost; {@link DisconnectEvent}. */
  disconnect: 'aa:invalidation:disconnect',
  /** Every sink was cleared; {@link ClearEvent}. */
  clear: 'aa:invalidation:clear',
});

/** What every message on {@link INVALIDATION_CHANNELS} carries. */
export interface SubscriberEventBase {
  /** The transport's name, e.g. `'redis-streams'`. */
  readonly transport: string;
  /** What it listens to: a channel, a stream key, a URL. */
  readonly target: string;
}

/** A subscriber (re)connected. */
export interface ConnectEvent extends SubscriberEventBase {
  /** Whether an earlier connection of this subscriber was lost. */
  readonly reconnect: boolean;
  /** The position it reads on from, if the transport has positions. */
  readonly position: unknown;
}

/** A subscriber lost its connection; it will reconnect. */
export interface DisconnectEvent extends SubscriberEventBase {
  /** Why. */
  readonly error: Error;
}

/** A subscriber cleared its sinks. */
export interface ClearEvent extends SubscriberEventBase {
  /** Why; see `SubscriberStats.clearCauses`. */
  readonly cause: string;
  /** Its position after the clear, if the transport has positions. */
  readonly position: unknown;
  /** Its position before the clear: what it had applied up to. */
  readonly previousPosition: unknown;
}

/** The channel objects, created once. */
export const channels = {
  connect: diagnosticsChannel.channel(INVALIDATION_CHANNELS.connect),
  disconnect: diagnosticsChannel.channel(INVALIDATION_CHANNELS.disconnect),
  clear: diagnosticsChannel.channel(INVALIDATION_CHANNELS.clear),
};
