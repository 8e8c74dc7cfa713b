import * as net from 'node:net';
import type { AgentId, InvalidationSink } from '@aa/core';
import { TestGateway, waitUntil } from '@aa/test-infra';
import { describe, expect, it } from 'vitest';
import { GatewayInvalidationSubscriber } from '../src/index.js';
import { cachedAgent } from './support/harness.js';

const resources = () => process.getActiveResourcesInfo();
/** The resources active now that were not before (the runner's own timers come and go). */
function leftSince(before: readonly string[]): string[] {
  const left = [...before];
  return resources().filter((resource) => {
    const index = left.indexOf(resource);
    if (index === -1) return true;
    left.splice(index, 1);
    return false;
  });
}

describe('GatewayInvalidationSubscriber lifecycle', () => {
  it('rejects hostile options with "Expected … got …" TypeErrors', () => {
    const sink = { invalidate() {}, clear() {} } as InvalidationSink<AgentId>;
    const base = { url: 'http://127.0.0.1:1', assemblyId: 'a', sink };
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...base, urll: 'x' }, /urll/],
      [{ ...base, url: 'not a url' }, /Expected `url` to be an http:\/\/ or https:\/\/ URL/],
      [{ ...base, url: 'ftp://127.0.0.1:1' }, /Expected `url`/],
      [{ ...base, url: 'http://user:pw@127.0.0.1:1' }, /no credentials/],
      [{ ...base, url: 'http://127.0.0.1:1/prefix' }, /no path/],
      [{ ...base, heartbeatIntervalMs: 0 }, /heartbeatIntervalMs/],
      [{ ...base, assemblyId: '' }, /Expected `assemblyId` to be a non-empty string/],
      [{ ...base, token: 'a\r\nb' }, /Expected `token`/],
      [{ ...base, tokenHeader: 'cookie' }, /Expected `tokenHeader`/],
      [{ ...base, tls: { ca: 'x' } }, /Expected an https:\/\/ `url` with `tls`/],
      [{ ...base, url: 'https://h:1', tls: { pfx: 'x' } }, /Expected `tls` to have only/],
      [{ ...base, url: 'https://h:1', tls: { cert: 'x' } }, /together/],
      [{ ...base, onApproval: 'yes' }, /Expected `onApproval` to be a function/],
      [{ ...base, resumeGraceMs: -1 }, /Expected `resumeGraceMs`/],
      [{ ...base, resumeGraceMs: null }, /Expected `resumeGraceMs`/],
      [{ ...base, tokenHeader: null }, /Expected `tokenHeader`/],
      [{ ...base, token: null }, /Expected `token`/],
    ];
    for (const [options, message] of bad) {
      expect(
        () => new GatewayInvalidationSubscriber(options as never),
        JSON.stringify(options),
      ).toThrow(
        expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(message) }),
      );
    }
    expect(() => new GatewayInvalidationSubscriber(undefined as never)).toThrow(TypeError);
  });

  it('survives a sink that closes the subscriber from invalidate()', async () => {
    const gateway = await TestGateway.start();
    let subscriber: GatewayInvalidationSubscriber | undefined;
    let closing: Promise<void> | undefined;
    const calls: string[] = [];
    const sink = {
      invalidate: (id: AgentId) => {
        calls.push(id);
        closing = subscriber?.close();
      },
      clear: () => {},
    };
    subscriber = new GatewayInvalidationSubscriber({ url: gateway.url, assemblyId: 'a', sink });
    await subscriber.start();
    const agent = await cachedAgent();
    gateway.invalidate(agent.id);
    gateway.invalidate(agent.id);
    await waitUntil(() => closing !== undefined, 'the sink to close the subscriber');
    await closing;
    expect(calls).toEqual([agent.id]); // nothing after close
    expect(subscriber.state).toBe('closed');
    await gateway.stop();
  });

  it('close() during connect (a peer that accepts and never answers): start() rejects Closed, nothing is left open', async () => {
    const agent = await cachedAgent();
    const before = resources();
    // The peer reads (and drops) what it is sent but never answers: it sees
    // the client's socket close, and its own closes with it.
    const sockets = new Set<net.Socket>();
    const hung = net.createServer((socket) => {
      sockets.add(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const { port } = hung.address() as net.AddressInfo;
    const subscriber = new GatewayInvalidationSubscriber({
      url: `http://127.0.0.1:${port}`,
      assemblyId: 'a',
      sink: agent.cache,
      connectTimeoutMs: 1_000,
    });
    await waitUntil(() => sockets.size === 1, 'the peer to accept the connection');
    expect(subscriber.state).toBe('connecting');
    await subscriber.close();
    await expect(subscriber.start()).rejects.toMatchObject({ code: 'AA_INVALIDATION_CLOSED' });
    await waitUntil(
      () => [...sockets].every((socket) => socket.closed),
      'the peer to see the socket close',
    );
    await new Promise<void>((resolve) => hung.close(() => resolve()));
    await waitUntil(() => leftSince(before).length === 0, 'no resource left').catch(() =>
      expect(leftSince(before)).toEqual([]),
    );
  }, 10_000);

  it('leaves no socket or timer behind after close()', async () => {
    const before = resources();
    const gateway = await TestGateway.start();
    const agent = await cachedAgent();
    const subscriber = new GatewayInvalidationSubscriber({
      url: gateway.url,
      assemblyId: 'a',
      sink: agent.cache,
      heartbeatIntervalMs: 100,
    });
    await subscriber.start();
    gateway.invalidate(agent.id);
    await waitUntil(() => subscriber.lastSeq === 1, 'subscriber.lastSeq to be 1');
    await subscriber.close();
    await waitUntil(() => gateway.subscribers === 0, 'gateway.subscribers to be 0');
    await gateway.stop();
    await waitUntil(() => leftSince(before).length === 0, 'no resource left').catch(() =>
      expect(leftSince(before)).toEqual([]),
    );
  });
});
