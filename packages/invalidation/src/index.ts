export { CLEAR_CAUSES, type ClearCause } from './clear-causes.js';
export { withDeadline } from './deadline.js';
export {
  type ClearEvent,
  type ConnectEvent,
  type DisconnectEvent,
  INVALIDATION_CHANNELS,
  type SubscriberEventBase,
} from './diagnostics.js';
export {
  INVALIDATION_ERROR_CODES,
  InvalidationError,
  type InvalidationErrorCode,
  isInvalidationError,
} from './invalidation-error.js';
export { InvalidationSubscriber, type SubscriberState } from './invalidation-subscriber.js';
export {
  type ResolvedSubscriberOptions,
  resolveSubscriberOptions,
  SUBSCRIBER_DEFAULTS,
  type SubscriberOptions,
} from './subscriber-options.js';
export type { SubscriberStats } from './subscriber-stats.js';
export type {
  ConnectContext,
  Continuity,
  InvalidationTransport,
  TransportConnection,
  TransportEvent,
} from './transport.js';
