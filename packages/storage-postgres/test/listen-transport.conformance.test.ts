import { randomUUID } from 'node:crypto';
import { createPool, FaultProxy, PG_URL, postgresAvailable } from '@aa/test-infra';
import { describeInvalidationTransportConformance } from '@aa/testing/conformance';
import { afterAll, describe } from 'vitest';
import { PgInvalidationSubscriber } from '../src/index.js';

const available = await postgresAvailable();

describe.runIf(available)('Postgres LISTEN/NOTIFY transport', () => {
  const admin = createPool({ max: 2 });
  afterAll(() => admin.end());

  describeInvalidationTransportConformance('PgInvalidationSubscriber', {
    replays: false,
    async bus() {
      const channel = `aa_conformance_${randomUUID().slice(0, 8)}`;
      const { hostname, port } = new URL(PG_URL);
      const proxy = await FaultProxy.start({ host: hostname, port: Number(port || 5432) });
      const notify = async (payload: string) =>
        void (await admin.query('SELECT pg_notify($1, $2)', [channel, payload]));
      return {
        subscribe: (options) =>
          new PgInvalidationSubscriber({ connection: proxy.urlFor(PG_URL), channel, ...options }),
        publish: (agentId) => notify(agentId),
        publishAll: () => notify(''),
        publishMalformed: () => notify('not an agent id'),
        cut: () => proxy.cut(),
        silence: () => proxy.goSilent(),
        heal: () => proxy.heal(),
        // LISTEN has no history to lose: what was sent while away is gone already.
        loseHistory: async () => {},
        close: () => proxy.close(),
      };
    },
  });
});
