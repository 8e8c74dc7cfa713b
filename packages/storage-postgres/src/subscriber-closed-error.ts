/** The stable code of {@link SubscriberClosedError}. */
export const SUBSCRIBER_CLOSED_CODE = 'AA_PG_SUBSCRIBER_CLOSED';

/**
 * `start()` or `ready` of a {@link PgInvalidationSubscriber} was still waiting
 * for LISTEN to become active when `close()` was called, or `start()` was
 * called after it.
 */
export class SubscriberClosedError extends Error {
  override readonly name = 'SubscriberClosedError';
  /** Stable machine-readable code. */
  readonly code = SUBSCRIBER_CLOSED_CODE;

  constructor() {
    super('The invalidation subscriber was closed before LISTEN became active');
  }
}
