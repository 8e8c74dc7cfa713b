import { randomUUID } from 'node:crypto';
import type { AgentId, InvalidationSink } from '@aa/core';
import { TestGateway, waitUntil } from '@aa/test-infra';
import { create, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { Decision, InvalidationEventSchema } from '../src/generated/invalidation_pb.js';
import {
  GATEWAY_ERROR_CODES,
  type GatewayApproval,
  GatewayError,
  GatewayInvalidationSubscriber,
} from '../src/index.js';
import { cachedAgent, cleanupAfterEach, errorLog, FAST_RETRY } from './support/harness.js';
import { event, frame, type RawCall, RawGateway } from './support/raw-gateway.js';

const { track } = cleanupAfterEach();
/** Fault to fresh on the real clock, with slack for a loaded machine. */
const BOUND_MS = 3_000;

/** A subscriber of `url` over `agent`'s cache, closed after the test. */
function subscribe(
  url: string,
  sink: InvalidationSink<AgentId>,
  options: Partial<ConstructorParameters<typeof GatewayInvalidationSubscriber>[0]> = {},
) {
  const onError = errorLog();
  const subscriber = track(
    new GatewayInvalidationSubscriber({
      url,
      assemblyId: 'asm-1',
      sink,
      onError,
      ...FAST_RETRY,
      ...options,
    }),
  );
  return { subscriber, onError };
}

const encode = (init: MessageInitShape<typeof InvalidationEventSchema>) =>
  toBinary(InvalidationEventSchema, create(InvalidationEventSchema, init));
const invalidated = (seq: bigint, agentId: string) =>
  ({ seq, payload: { case: 'policyInvalidated', value: { agentId, policyVersion: 1n } } }) as const;

describe('GatewayInvalidationSubscriber against hostile bytes', () => {
  it('refuses a frame that claims 100 MB at once, as malformed input, and clears instead of waiting for it', async () => {
    const agent = await cachedAgent();
    // Later subscriptions replay the event properly.
    const gateway = track(
      await RawGateway.start((call) => {
        call.open();
        if (gateway.calls.length > 1) call.send(invalidated(1n, agent.id));
      }),
    );
    const { subscriber, onError } = subscribe(gateway.url, agent.cache);
    await subscriber.start();
    await agent.warm();
    agent.change(2);
    const first = gateway.calls[0] as RawCall;
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(100 * 1024 * 1024, 1);
    // Without a limit, the event after it vanishes into the 100 MB being
    // awaited, while PINGs keep proving the connection alive: lost for good.
    first.write(Buffer.concat([prefix, Buffer.from('the start of a huge body')]));
    first.write(frame(event(1n, agent.id)));
    await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve 2', BOUND_MS);
    await waitUntil(() => subscriber.lastSeq === 1, 'the replay to be applied');
    expect(subscriber.stats()).toMatchObject({ malformed: 1, reconnects: 1 });
    expect(onError.errors.map((e) => e.code)).toContain('AA_INVALIDATION_MALFORMED');
    expect(onError.errors.find((e) => e.code === 'AA_INVALIDATION_MALFORMED')?.message).toMatch(
      /readMaxBytes/,
    );
  });

  it('clears on a message that is not protobuf, even when every replay repeats it (never a reconnect loop that clears nothing)', async () => {
    const agent = await cachedAgent();
    const garbage = frame(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    const gateway = track(
      await RawGateway.start((call) => {
        call.open();
        if (gateway.calls.length > 1) call.write(garbage);
      }),
    );
    const { subscriber, onError } = subscribe(gateway.url, agent.cache);
    await subscriber.start();
    await agent.warm();
    agent.change(2);
    (gateway.calls[0] as RawCall).write(garbage);
    await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve 2', BOUND_MS);
    expect(subscriber.stats().malformed).toBeGreaterThanOrEqual(1);
    expect(subscriber.stats().clearCauses['malformed']).toBeGreaterThanOrEqual(1);
    expect(onError.errors.find((e) => e.code === 'AA_INVALIDATION_MALFORMED')?.message).toMatch(
      /parse binary/,
    );
  });

  it('takes a frame cut short by the end of the stream for malformed input, not for a gateway that rejected the request', async () => {
    const agent = await cachedAgent();
    const gateway = track(await RawGateway.start((call) => call.open()));
    const { subscriber, onError } = subscribe(gateway.url, agent.cache);
    await subscriber.start();
    const first = gateway.calls[0] as RawCall;
    first.write(frame(event(1n, agent.id)).subarray(0, 10));
    first.end(0);
    await waitUntil(() => subscriber.stats().disconnections === 1, 'a disconnection');
    const lost = onError.errors.find((e) => e.code === 'AA_INVALIDATION_CONNECTION');
    expect(lost?.cause).toMatchObject({
      code: GATEWAY_ERROR_CODES.Unavailable,
      grpcStatus: undefined,
    });
    expect(lost?.message).toMatch(/incomplete envelope/);
    expect(subscriber.stats()).toMatchObject({ malformed: 1, clearCauses: { malformed: 1 } });
  });

  it.each([
    [14, 'UNAVAILABLE', GATEWAY_ERROR_CODES.Unavailable],
    [8, 'RESOURCE_EXHAUSTED', GATEWAY_ERROR_CODES.Unavailable],
    [12, 'UNIMPLEMENTED', GATEWAY_ERROR_CODES.Unavailable],
    [3, 'INVALID_ARGUMENT', GATEWAY_ERROR_CODES.Rejected],
    [7, 'PERMISSION_DENIED', GATEWAY_ERROR_CODES.PermissionDenied],
  ])(
    'turns a trailers-only grpc-status %i (%s) into a typed error, backs off and never connects',
    async (status, _, code) => {
      const agent = await cachedAgent();
      const gateway = track(
        await RawGateway.start((call) =>
          call.open({ 'grpc-status': String(status), 'grpc-message': 'no' }),
        ),
      );
      // A trailers-only answer: the headers carry the status, the stream ends.
      const { subscriber, onError } = subscribe(gateway.url, agent.cache);
      await waitUntil(() => onError.errors.length >= 2, '2 errors');
      for (const error of onError.errors) {
        expect(error.code).toBe('AA_INVALIDATION_CONNECTION');
        expect(error.cause).toBeInstanceOf(GatewayError);
        expect(error.cause).toMatchObject({ code, grpcStatus: status });
      }
      expect(subscriber.stats()).toMatchObject({ connects: 0, clears: 0 });
      expect(subscriber.state).not.toBe('connected');
    },
  );

  it.each([
    ['HTTP 500', { ':status': 500 }, /HTTP 500/],
    ['a wrong content type', { 'content-type': 'text/html' }, /content type text\/html/],
  ] as const)(
    'reports %s as an unavailable gateway, not as its answer, and retries',
    async (_, headers, message) => {
      const agent = await cachedAgent();
      const gateway = track(
        await RawGateway.start((call) => {
          call.open(headers);
          call.end(0);
        }),
      );
      const { subscriber, onError } = subscribe(gateway.url, agent.cache);
      await waitUntil(() => onError.errors.length >= 2, '2 errors');
      expect(onError.errors[0]?.cause).toMatchObject({
        code: GATEWAY_ERROR_CODES.Unavailable,
        grpcStatus: undefined,
        message,
      });
      expect(subscriber.stats()).toMatchObject({ connects: 0, clears: 0 });
    },
  );

  it.each([
    // ENHANCE_YOUR_CALM: what a server that limits PINGs sends (too_many_pings).
    ['GOAWAY', (call: RawCall) => call.stream.session?.goaway(11)],
    ['RST_STREAM', (call: RawCall) => call.stream.close(2)],
  ])(
    'after a %s mid-stream, reconnects and the replay proves nothing was lost',
    async (_, cutOff) => {
      const agent = await cachedAgent();
      const gateway = track(
        await RawGateway.start(async (call) => {
          call.open();
          if (gateway.calls.length === 1) return;
          // The replay after last_seq_seen 1: event 2, published while away.
          const { kind } = await call.initial;
          expect(kind).toMatchObject({ case: 'initial', value: { lastSeqSeen: 1n } });
          call.send(invalidated(2n, agent.id));
        }),
      );
      const { subscriber } = subscribe(gateway.url, agent.cache);
      await subscriber.start();
      const first = gateway.calls[0] as RawCall;
      first.send(invalidated(1n, randomUUID()));
      await waitUntil(() => subscriber.lastSeq === 1, 'lastSeq to be 1');
      await agent.warm();
      agent.change(2);
      cutOff(first);
      await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve 2', BOUND_MS);
      expect(subscriber.stats()).toMatchObject({ reconnects: 1, clearCauses: { start: 1 } });
      expect(subscriber.lastSeq).toBe(2);
    },
  );
});

describe('GatewayInvalidationSubscriber against hostile numbering and ids', () => {
  /** A subscriber on a raw gateway whose first stream the test writes to. */
  async function openStream() {
    const agent = await cachedAgent();
    const gateway = track(await RawGateway.start((call) => call.open()));
    const { subscriber, onError } = subscribe(gateway.url, agent.cache);
    await subscriber.start();
    await agent.warm();
    return { agent, stream: gateway.calls[0] as RawCall, subscriber, onError };
  }

  it.each([
    ['0', 0n],
    ['2^64 - 1 (a negative number written as uint64)', 2n ** 64n - 1n],
    ['2^53 + 1 (past the integers a number holds exactly)', 2n ** 53n + 1n],
  ])(
    'clears on sequence number %s as malformed, and goes on from the last good one',
    async (_, seq) => {
      const { agent, stream, subscriber, onError } = await openStream();
      stream.send(invalidated(1n, randomUUID()));
      await waitUntil(() => subscriber.lastSeq === 1, 'lastSeq to be 1');
      await agent.warm();
      agent.change(2);
      stream.send(invalidated(seq, agent.id));
      await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve 2');
      expect(subscriber.stats()).toMatchObject({ malformed: 1, clearCauses: { malformed: 1 } });
      expect(onError.errors.map((e) => e.code)).toEqual(['AA_INVALIDATION_MALFORMED']);
      expect(subscriber.lastSeq).toBe(1);
      // The next good number follows on, unacked garbage and all.
      stream.send(invalidated(2n, randomUUID()));
      await waitUntil(() => subscriber.lastSeq === 2, 'lastSeq to be 2');
      expect(subscriber.stats().clears).toBe(2);
    },
  );

  it('clears on a duplicate number (sequence-restart) and on a jump of 2^53 - 2 (sequence-jump)', async () => {
    const { agent, stream, subscriber } = await openStream();
    stream.send(invalidated(1n, randomUUID()));
    stream.send(invalidated(1n, randomUUID()));
    await waitUntil(() => subscriber.stats().clearCauses['sequence-restart'] === 1, 'a restart');
    await agent.warm();
    agent.change(2);
    stream.send(invalidated(2n ** 53n - 1n, randomUUID()));
    await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve 2');
    expect(subscriber.stats().clearCauses).toEqual({
      start: 1,
      'sequence-restart': 1,
      'sequence-jump': 1,
    });
    expect(subscriber.lastSeq).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('applies an upper-case agent id to the canonical key, and clears on one in braces', async () => {
    const { agent, stream, subscriber } = await openStream();
    agent.change(2);
    stream.send(invalidated(1n, agent.id.toUpperCase()));
    await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve 2');
    expect(subscriber.stats().clearCauses).toEqual({ start: 1 });
    agent.change(3);
    stream.send(invalidated(2n, `{${agent.id}}`));
    await waitUntil(async () => (await agent.served()) === 3, 'the cache to serve 3');
    expect(subscriber.stats()).toMatchObject({ malformed: 1, clearCauses: { malformed: 1 } });
  });
});

describe('GatewayInvalidationSubscriber and its callbacks', () => {
  it('hands two approvals that share a number (another numbering) to onApproval in order, both of them', async () => {
    const gateway = track(await RawGateway.start((call) => call.open()));
    const seen: GatewayApproval[] = [];
    // A slow sink: the approvals pile up behind the invalidation, and are read together.
    const sink = {
      invalidate: () => new Promise<void>((resolve) => setTimeout(resolve, 100)),
      clear: () => {},
    };
    const { subscriber } = subscribe(gateway.url, sink, {
      onApproval: (approval) => void seen.push(approval),
    });
    await subscriber.start();
    const stream = gateway.calls[0] as RawCall;
    const approval = (seq: bigint, requestId: string) =>
      ({
        seq,
        payload: { case: 'approvalResolved', value: { requestId, decision: Decision.APPROVED } },
      }) as const;
    // One write: all three arrive while the sink works on event 1.
    stream.write(
      Buffer.concat([
        frame(event(1n, randomUUID())),
        frame(encode(approval(2n, 'first'))),
        frame(encode(approval(2n, 'second'))),
        frame(encode(approval(2n, 'third'))),
      ]),
    );
    await waitUntil(() => seen.length === 3, 'three approvals', BOUND_MS).catch(() => {});
    expect(seen.map((a) => a.requestId)).toEqual(['first', 'second', 'third']);
  });

  it('goes on when onApproval never settles its promise', async () => {
    const gateway = track(await TestGateway.start());
    const agent = await cachedAgent();
    let calls = 0;
    const { subscriber } = subscribe(gateway.url, agent.cache, {
      onApproval: () => {
        calls++;
        return new Promise(() => {});
      },
    });
    await subscriber.start();
    await agent.warm();
    gateway.publish({
      case: 'approvalResolved',
      value: { requestId: 'r', decision: Decision.DENIED } as never,
    });
    agent.change(2);
    gateway.invalidate(agent.id);
    await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve 2');
    expect(calls).toBe(1);
    await waitUntil(() => gateway.acked('asm-1') === 2, 'both acked');
  });

  it('lets onApproval close the subscriber: close() resolves and no sink is called after', async () => {
    const gateway = track(await TestGateway.start());
    const agent = await cachedAgent();
    let closing: Promise<void> | undefined;
    let invalidations = 0;
    const sink = { invalidate: () => void invalidations++, clear: () => {} };
    const { subscriber } = subscribe(gateway.url, sink, {
      onApproval: () => {
        closing = subscriber.close();
      },
    });
    await subscriber.start();
    gateway.publish({
      case: 'approvalResolved',
      value: { requestId: 'r', decision: Decision.APPROVED } as never,
    });
    gateway.invalidate(agent.id);
    await waitUntil(() => closing !== undefined, 'onApproval to close');
    await closing;
    expect(subscriber.state).toBe('closed');
    expect(invalidations).toBe(0);
  });
});

describe('GatewayInvalidationSubscriber lifecycle under stress', () => {
  it('close() while the resume PING is out: resolves at once, start()ed state closed, no sink called after', async () => {
    const agent = await cachedAgent();
    let subscriber: GatewayInvalidationSubscriber | undefined;
    let closing: Promise<void> | undefined;
    const gateway = track(
      await RawGateway.start((call) => {
        call.open();
        // The resume: headers sent, no replay; the client PINGs to learn that.
        if (gateway.calls.length > 1) {
          call.stream.session?.once('ping', () => {
            closing = subscriber?.close();
          });
        }
      }),
    );
    let clears = 0;
    const sink = { invalidate: () => {}, clear: () => void clears++ };
    subscriber = subscribe(gateway.url, sink, { resumeGraceMs: 60_000 }).subscriber;
    await subscriber.start();
    expect(clears).toBe(1);
    (gateway.calls[0] as RawCall).end(14, 'going away');
    await waitUntil(() => closing !== undefined, 'the resume PING');
    await closing;
    expect(subscriber.state).toBe('closed');
    expect(clears).toBe(1);
    await waitUntil(() => gateway.sessions.size === 0, 'the client to hang up');
    void agent;
  });

  it('keeps 25 subscribers in one process apart: each its own slot, acks and clears', async () => {
    const gateway = track(await TestGateway.start());
    const agent = await cachedAgent();
    const subscribers = Array.from(
      { length: 25 },
      (_, i) => subscribe(gateway.url, agent.cache, { assemblyId: `asm-${i}` }).subscriber,
    );
    await Promise.all(subscribers.map((s) => s.start()));
    await agent.warm();
    agent.change(2);
    gateway.invalidate(agent.id);
    await waitUntil(() => subscribers.every((s) => s.lastSeq === 1), 'every subscriber at 1');
    expect(await agent.served()).toBe(2);
    await waitUntil(
      () => subscribers.every((_, i) => gateway.acked(`asm-${i}`) === 1),
      'every slot acked',
    );
    for (const s of subscribers) expect(s.stats().clearCauses).toEqual({ start: 1 });
    await Promise.all(subscribers.map((s) => s.close()));
    await waitUntil(() => gateway.subscribers === 0, 'no subscriber left on the gateway');
  });
});
