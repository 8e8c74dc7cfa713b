import { randomUUID } from 'node:crypto';
import { FaultProxy, TestGateway } from '@aa/test-infra';
import { describeInvalidationTransportConformance } from '@aa/testing/conformance';
import { describe } from 'vitest';
import { Decision } from '../src/generated/invalidation_pb.js';
import { GatewayInvalidationSubscriber } from '../src/index.js';

/** A small ring, so that losing history takes few events. */
const RING_SIZE = 32;

describe('Agent Assembly gateway transport', () => {
  describeInvalidationTransportConformance('GatewayInvalidationSubscriber', {
    replays: true,
    async bus() {
      // A gateway of its own per test: its slots, numbering and ring are this test's.
      const gateway = await TestGateway.start({ ringSize: RING_SIZE });
      const proxy = await FaultProxy.start({ host: '127.0.0.1', port: gateway.port });
      const assemblyId = `conformance-${randomUUID().slice(0, 8)}`;
      return {
        subscribe: (options) =>
          new GatewayInvalidationSubscriber({
            url: proxy.urlFor(gateway.url),
            assemblyId,
            ...options,
          }),
        publish: async (agentId) => gateway.invalidate(agentId),
        publishAll: async () => gateway.invalidate(''),
        // An event with no payload this client knows: a newer gateway's.
        publishMalformed: async () => gateway.publish({ case: undefined }),
        cut: () => proxy.cut(),
        silence: () => proxy.goSilent(),
        heal: () => proxy.heal(),
        // The ring overflows while the subscriber is away: what it has not seen
        // is pushed out by a ring's worth of later events. They are approvals,
        // which reach no sink, so the sink's last call stays the clear the
        // suite looks for. (A restarted gateway loses history too, but nothing
        // shows it on the wire until resumeGraceMs has passed: faults.test.ts
        // covers that case, on a scheduler that moves while connecting.)
        loseHistory: async () => {
          for (let i = 0; i < RING_SIZE; i++) {
            gateway.publish({
              case: 'approvalResolved',
              value: { requestId: `overflow-${i}`, decision: Decision.APPROVED } as never,
            });
          }
        },
        async close() {
          await proxy.close();
          await gateway.stop();
        },
      };
    },
  });
});
