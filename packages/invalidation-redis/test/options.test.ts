import { RecordingSink } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REDIS_URL,
  DEFAULT_STREAM_KEY,
  RedisInvalidationPublisher,
  RedisInvalidationSubscriber,
  redisUrlFromEnv,
} from '../src/index.js';

const sink = new RecordingSink();

describe('RedisInvalidationSubscriber options', () => {
  it.each([
    [{ sink: [] }, 'Expected `sink` to be a sink or a non-empty array of sinks, got `[]`'],
    [
      { sink: [{ invalidate() {} }] },
      'Expected `sink[0]` to have `invalidate()` and `clear()` methods',
    ],
    [
      { sink, startId: '0' },
      "Expected `startId` to be '$' or a stream id like '1718000000000-0', got `\"0\"` (string)",
    ],
    [{ sink, blockMs: 100 }, 'got unknown option `blockMs`'],
    [
      { sink, batchSize: null },
      'Expected `batchSize` to be an integer from 1 to 100000, got `null`',
    ],
    [{ sink, startId: null }, "Expected `startId` to be '$' or a stream id"],
    [{ sink, sinks: [sink] }, 'got unknown option `sinks`'],
    [
      { sink, heartbeatIntervalMs: 0 },
      'Expected `heartbeatIntervalMs` to be an integer from 100 to 3600000, got 0: heartbeats cannot be turned off',
    ],
    [
      { sink, batchSize: 1.5 },
      'Expected `batchSize` to be an integer from 1 to 100000, got `1.5` (number)',
    ],
    [
      { sink, reconnectDelayMs: 500, maxReconnectDelayMs: 100 },
      'Expected `maxReconnectDelayMs` to be an integer from `reconnectDelayMs` (500) to 3600000, got `100` (number)',
    ],
    [
      { sink, connectTimeoutMs: -1 },
      'Expected `connectTimeoutMs` to be an integer from 1 to 3600000',
    ],
    [
      { sink, key: '' },
      'Expected `key` to be a non-empty string without whitespace, got `""` (string)',
    ],
    [
      { sink, connectionName: 'two words' },
      'Expected `connectionName` to be a non-empty string without whitespace',
    ],
    [{ sink, onError: 'log' }, 'Expected `onError` to be a function, got `"log"` (string)'],
    [
      { sink, redisOptions: 'tls' },
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
    [{ maxLen: 0 }, 'Expected `maxLen` to be an integer from 1 to 100000000, got `0` (number)'],
    [
      { timeoutMs: 5 },
      'Expected `timeoutMs` to be an integer from 10 to 3600000, got `5` (number)',
    ],
    [
      { timeoutMs: 500, replicaTimeoutMs: 500 },
      'Expected `replicaTimeoutMs` to be an integer from 1 to 499, got `500` (number)',
    ],
    [{ waitForReplicas: -1 }, 'Expected `waitForReplicas` to be an integer from 0 to 100'],
    [{ bogus: true }, 'got unknown option `bogus`'],
    [{ maxLen: null }, 'Expected `maxLen` to be an integer from 1 to 100000000, got `null`'],
    [{ trimming: null }, "Expected `trimming` to be 'approximate' or 'exact', got `null`"],
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
