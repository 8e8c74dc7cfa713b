import { randomUUID } from 'node:crypto';
import { FaultProxy, REDIS_URL, redisAvailable } from '@aa/test-infra';
import { describeInvalidationTransportConformance } from '@aa/testing/conformance';
import { Redis } from 'ioredis';
import { describe } from 'vitest';
import { RedisInvalidationPublisher, RedisInvalidationSubscriber } from '../src/index.js';

const available = await redisAvailable();

describe.runIf(available)('Redis Streams transport', () => {
  describeInvalidationTransportConformance('RedisInvalidationSubscriber', {
    replays: true,
    async bus() {
      const key = `aa:conformance:${randomUUID()}`;
      const { hostname, port } = new URL(REDIS_URL);
      const proxy = await FaultProxy.start({ host: hostname, port: Number(port || 6379) });
      const publisher = new RedisInvalidationPublisher({ url: REDIS_URL, key });
      const admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      return {
        subscribe: (options) =>
          new RedisInvalidationSubscriber({ url: proxy.urlFor(REDIS_URL), key, ...options }),
        publish: async (agentId) => void (await publisher.publish(agentId)),
        publishAll: async () => void (await publisher.publishAll()),
        publishMalformed: async () => void (await admin.xadd(key, '*', 'op', 'rename')),
        cut: () => proxy.cut(),
        silence: () => proxy.goSilent(),
        heal: () => proxy.heal(),
        // Trimmed to nothing: what a subscriber away for more than `maxLen` entries meets.
        loseHistory: async () => void (await admin.xtrim(key, 'MAXLEN', 0)),
        async close() {
          await publisher.close();
          await admin.del(key);
          await admin.quit();
          await proxy.close();
        },
      };
    },
  });
});
