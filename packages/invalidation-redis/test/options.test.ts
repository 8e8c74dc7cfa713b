import { RecordingSink } from '@aa/test-infra';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REDIS_URL,
  DEFAULT_STREAM_KEY,
  RedisInvalidationPublisher,
  RedisInvalidationSubscriber,
  redisUrlFromEnv,
} from '../src/index.js';

const sinks = [new RecordingSink()];

describe('RedisInvalidationSubscriber options', () => {
  it.each([
    [
      { sinks: [] },
      'Expected `sinks` to be a non-empty array of invalidation sinks, got `Array(0)` (object)',
    ],
    [
      { sinks: [{ invalidate() {} }] },
      'Expected `sinks[0]` to have `invalidate()` and `clear()` methods',
    ],
    [
      { sinks, startId: '0' },
      "Expected `startId` to be '$' or a stream id like '1718000000000-0', got `\"0\"` (string)",
    ],
    [{ sinks, blockMs: 0 }, 'Expected `blockMs` to be an integer in 1..3600000, got `0` (number)'],
    [
      { sinks, batchSize: 1.5 },
      'Expected `batchSize` to be an integer in 1..100000, got `1.5` (number)',
    ],
    [
      { sinks, minReconnectDelayMs: 500, maxReconnectDelayMs: 100 },
      'Expected `maxReconnectDelayMs` to be an integer in 500..3600000, got `100` (number)',
    ],
    [{ sinks, connectTimeoutMs: -1 }, 'Expected `connectTimeoutMs` to be an integer in 1..3600000'],
    [
      { sinks, key: '' },
      'Expected `key` to be a non-empty string without whitespace, got `""` (string)',
    ],
    [
      { sinks, connectionName: 'two words' },
      'Expected `connectionName` to be a non-empty string without whitespace',
    ],
    [{ sinks, onError: 'log' }, 'Expected `onError` to be a function, got `"log"` (string)'],
    [
      { sinks, redisOptions: 'tls' },
      'Expected `redisOptions` to be an object, got `"tls"` (string)',
    ],
  ])('rejects %j with a TypeError', (options, message) => {
    expect(
      () =>
        new RedisInvalidationSubscriber(
          options as unknown as ConstructorParameters<typeof RedisInvalidationSubscriber>[0],
        ),
    ).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringContaining(message) }),
    );
  });
});

describe('RedisInvalidationPublisher options', () => {
  it.each([
    [{ maxLen: 0 }, 'Expected `maxLen` to be an integer in 1..100000000, got `0` (number)'],
    [
      { trimming: 'lazy' },
      "Expected `trimming` to be 'approximate' or 'exact', got `\"lazy\"` (string)",
    ],
    [{ client: {} }, 'Expected `client` to be an ioredis client, got `plain object` (object)'],
    [
      { url: 'redis://x', client: { xadd() {} } },
      'Expected either `client` or `url`/`redisOptions`, got both',
    ],
  ])('rejects %j with a TypeError', (options, message) => {
    expect(
      () =>
        new RedisInvalidationPublisher(
          options as unknown as ConstructorParameters<typeof RedisInvalidationPublisher>[0],
        ),
    ).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringContaining(message) }),
    );
  });

  it('defaults the key, and opens no connection before the first publish', async () => {
    const publisher = new RedisInvalidationPublisher();
    expect(publisher.key).toBe(DEFAULT_STREAM_KEY);
    await publisher.close();
  });
});

describe('redisUrlFromEnv()', () => {
  it('reads AA_REDIS_URL, and falls back to the local server when it is unset or empty', () => {
    expect(redisUrlFromEnv({ AA_REDIS_URL: 'redis://cache:6380/2' })).toBe('redis://cache:6380/2');
    expect(redisUrlFromEnv({ AA_REDIS_URL: '' })).toBe(DEFAULT_REDIS_URL);
    expect(redisUrlFromEnv({})).toBe('redis://127.0.0.1:6379');
  });
});
