export {
  INVALIDATION_ERROR_CODES,
  InvalidationError,
  type InvalidationErrorCode,
  isInvalidationError,
  type SubscriberStats,
} from '@aa/invalidation';
export { detectGap, type GapReason, type GapVerdict } from './gap-detection.js';
export type { InvalidationEvent } from './invalidation-event.js';
export type { RedisInvalidationPublisherOptions, Trimming } from './publisher-options.js';
export { RedisInvalidationPublisher } from './redis-invalidation-publisher.js';
export { RedisInvalidationSubscriber } from './redis-invalidation-subscriber.js';
export { DEFAULT_REDIS_URL, redisUrlFromEnv } from './redis-url.js';
export { compareStreamIds, isStreamId, STREAM_START_ID } from './stream-id.js';
export type { StreamInfo } from './stream-info.js';
export { DEFAULT_STREAM_KEY, type StreamLocationOptions } from './stream-options.js';
export type { RedisInvalidationSubscriberOptions } from './subscriber-options.js';
