/**
 * The Redis URL the tests, the bench and the examples use when `AA_REDIS_URL`
 * is unset: the local server on the default port.
 */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The Redis connection URL from the environment: `AA_REDIS_URL` when it is set
 * and not empty, {@link DEFAULT_REDIS_URL} otherwise. The publisher and the
 * subscriber use it when they are given neither `url` nor a client.
 *
 * @param env - where to read `AA_REDIS_URL` from.
 * @default env process.env
 *
 * @example
 * const publisher = new RedisInvalidationPublisher({ url: redisUrlFromEnv() });
 */
export function redisUrlFromEnv(
  env: { readonly AA_REDIS_URL?: string | undefined } = process.env,
): string {
  const url = env.AA_REDIS_URL;
  return url === undefined || url === '' ? DEFAULT_REDIS_URL : url;
}
