import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { L1Cache } from '@aa/cache';
import { AgentId, OrgId, tenantInvalidationSink } from '@aa/core';
import { TestGateway, waitUntil } from '@aa/test-infra';
import { MemoryPolicyStore, samplePolicy } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import { Decision } from '../src/generated/invalidation_pb.js';
import { type GatewayApproval, GatewayInvalidationSubscriber } from '../src/index.js';
import { cachedAgent, cleanupAfterEach, errorLog } from './support/harness.js';

const { track, defer } = cleanupAfterEach();

async function gatewayWith(options: Parameters<typeof TestGateway.start>[0] = {}) {
  return track(await TestGateway.start(options));
}

function subscribe(options: ConstructorParameters<typeof GatewayInvalidationSubscriber>[0]) {
  return track(new GatewayInvalidationSubscriber(options));
}

describe('GatewayInvalidationSubscriber', () => {
  it('subscribes with assembly_id and last_seq_seen 0, applies each invalidation and acks it', async () => {
    const gateway = await gatewayWith();
    const agent = await cachedAgent();
    const subscriber = subscribe({ url: gateway.url, assemblyId: 'asm-1', sink: agent.cache });
    await subscriber.start();
    await agent.warm();
    expect(gateway.requests[0]).toEqual({ assemblyId: 'asm-1', kind: 'initial', seq: 0 });

    for (let version = 2; version <= 4; version++) {
      agent.change(version);
      gateway.invalidate(agent.id);
      await waitUntil(
        async () => (await agent.served()) === version,
        `the cache to serve version ${version}`,
      );
    }
    await waitUntil(() => gateway.acked('asm-1') === 3, "gateway.acked('asm-1') to be 3");
    expect(gateway.requests.filter((r) => r.kind === 'ack').map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(subscriber.lastSeq).toBe(3);
    expect(subscriber.stats()).toMatchObject({
      events: 3,
      invalidations: 3,
      clears: 1,
      reconnects: 0,
    });
    // A fault-free run clears once, at the start, and never again.
    expect(subscriber.stats().clearCauses).toEqual({ start: 1 });
  });

  it('clears every cached agent on an empty agent_id (the gateway sends one per policy apply)', async () => {
    const gateway = await gatewayWith();
    const agent = await cachedAgent();
    const subscriber = subscribe({ url: gateway.url, assemblyId: 'asm-1', sink: agent.cache });
    await subscriber.start();
    await agent.warm();
    agent.change(2);
    gateway.invalidate('');
    await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve version 2');
    expect(subscriber.stats().clearCauses).toEqual({ start: 1, published: 1 });
  });

  it.each([
    ['authorization', { authorization: 'Bearer tok-1' }],
    ['x-aa-credential-token', { 'x-aa-credential-token': 'tok-1' }],
  ] as const)('sends the token as %s', async (tokenHeader, expected) => {
    const gateway = await gatewayWith({ tokens: new Map([['tok-1', null]]) });
    const subscriber = subscribe({
      url: gateway.url,
      assemblyId: 'asm-1',
      token: 'tok-1',
      tokenHeader,
      sink: (await cachedAgent()).cache,
    });
    await subscriber.start();
    expect(gateway.metadata[0]).toMatchObject(expected);
  });

  it('hands ApprovalResolved to onApproval in order, acks it, and counts a throwing callback as an error and goes on', async () => {
    const gateway = await gatewayWith();
    const agent = await cachedAgent();
    const seen: GatewayApproval[] = [];
    const onError = errorLog();
    const subscriber = subscribe({
      url: gateway.url,
      assemblyId: 'asm-1',
      sink: agent.cache,
      onError,
      onApproval: (approval) => {
        seen.push(approval);
        if (approval.requestId === 'boom') throw new Error('callback failed');
      },
    });
    await subscriber.start();
    await agent.warm();
    const approve = (requestId: string, decision: Decision) =>
      gateway.publish({ case: 'approvalResolved', value: { requestId, decision } as never });
    approve('boom', Decision.DENIED);
    approve('req-2', Decision.APPROVED);
    agent.change(2);
    gateway.invalidate(agent.id);
    await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve version 2');
    expect(seen).toEqual([
      { requestId: 'boom', decision: 'denied', seq: 1 },
      { requestId: 'req-2', decision: 'approved', seq: 2 },
    ]);
    expect(onError.errors.map((e) => e.code)).toEqual(['AA_INVALIDATION_SINK']);
    expect(onError.errors[0]?.cause).toBeInstanceOf(Error);
    expect(subscriber.stats().errors).toBe(1);
    await waitUntil(() => gateway.acked('asm-1') === 3, "gateway.acked('asm-1') to be 3");
    expect(subscriber.stats().clearCauses).toEqual({ start: 1 });
  });

  it.each([
    ['an unknown payload (field 4, from a newer gateway)', Uint8Array.of(0x08, 0x01, 0x22, 0x00)],
    [
      'an agent id that is not a UUID',
      // seq 1, policy_invalidated { agent_id: "not-a-uuid" }
      Uint8Array.of(0x08, 0x01, 0x12, 0x0c, 0x0a, 0x0a, ...Buffer.from('not-a-uuid')),
    ],
  ])('reports %s as malformed and clears instead of guessing', async (_, bytes) => {
    const gateway = await gatewayWith();
    const agent = await cachedAgent();
    const onError = errorLog();
    const subscriber = subscribe({
      url: gateway.url,
      assemblyId: 'asm-1',
      sink: agent.cache,
      onError,
    });
    await subscriber.start();
    await agent.warm();
    agent.change(2);
    gateway.sendRawNext(bytes);
    gateway.invalidate(agent.id);
    await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve version 2');
    expect(subscriber.stats()).toMatchObject({
      malformed: 1,
      clearCauses: { start: 1, malformed: 1 },
    });
    expect(onError.errors.map((e) => e.code)).toEqual(['AA_INVALIDATION_MALFORMED']);
    // The stream goes on after it.
    agent.change(3);
    gateway.invalidate(agent.id);
    await waitUntil(async () => (await agent.served()) === 3, 'the cache to serve version 3');
    await waitUntil(() => gateway.acked('asm-1') === 2, "gateway.acked('asm-1') to be 2");
  });

  it('keeps a tenant-keyed cache fresh through tenantInvalidationSink, hearing only its tenant', async () => {
    const gateway = await gatewayWith({ tokens: new Map([['tok-a', 'team-a']]) });
    const org = OrgId.parse(randomUUID());
    const id = AgentId.parse(randomUUID());
    const store = new MemoryPolicyStore();
    store.insert(id, samplePolicy(1), { orgId: org });
    const source = store.tenantSource();
    const cache = new L1Cache(source, { ttlMs: 3_600_000 });
    const { TenantAgentKey } = await import('@aa/core');
    const key = TenantAgentKey.of(org, id);
    expect((await cache.get(key)).version).toBe(1);
    const subscriber = subscribe({
      url: gateway.url,
      assemblyId: 'asm-1',
      token: 'tok-a',
      sink: tenantInvalidationSink(cache, source.orgs),
    });
    await subscriber.start();
    expect((await cache.get(key)).version).toBe(1);
    store.insert(id, samplePolicy(2), { orgId: org });
    gateway.invalidate(id, 'team-b'); // another tenant's event: not for this subscriber
    gateway.invalidate(id, 'team-a');
    await waitUntil(
      async () => (await cache.get(key)).version === 2,
      'the cache to serve version 2',
    );
    expect(subscriber.stats().events).toBe(1);
  });

  it('speaks TLS to a gateway with a self-signed certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-gateway-tls-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore', timeout: 30_000 },
    );
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    const gateway = await gatewayWith({ tls: { cert, key } });
    expect(gateway.url).toMatch(/^https:/);
    const agent = await cachedAgent();
    const subscriber = subscribe({
      url: gateway.url,
      assemblyId: 'asm-1',
      sink: agent.cache,
      tls: { ca: cert },
    });
    await subscriber.start();
    await agent.warm();
    agent.change(2);
    gateway.invalidate(agent.id);
    await waitUntil(async () => (await agent.served()) === 2, 'the cache to serve version 2');

    // Without the CA, the certificate is refused: no subscription, a reported error.
    const onError = errorLog();
    const untrusting = subscribe({
      url: gateway.url,
      assemblyId: 'asm-2',
      sink: agent.cache,
      onError,
    });
    await waitUntil(() => onError.errors.length > 0, 'an error');
    expect(untrusting.connected).toBe(false);
  }, 30_000);
});
