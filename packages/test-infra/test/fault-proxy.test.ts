import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../src/fault-proxy.js';
import { waitUntil } from '../src/polling.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An echo server on 127.0.0.1: every byte comes back, upper-cased. */
async function startEchoServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => socket.write(chunk.toString().toUpperCase()));
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

/** A client of `port` that collects what it receives and whether it closed. */
async function startClient(port: number) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const state = { received: '', closed: false };
  socket.on('data', (chunk) => {
    state.received += chunk.toString();
  });
  socket.on('close', () => {
    state.closed = true;
  });
  return { socket, state };
}

describe('FaultProxy', () => {
  let echo: Awaited<ReturnType<typeof startEchoServer>>;
  let proxy: FaultProxy;
  const sockets: Socket[] = [];

  beforeEach(async () => {
    echo = await startEchoServer();
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: echo.port });
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await proxy.close();
    for (const socket of echo.sockets) socket.destroy();
    await new Promise<void>((resolve) => echo.server.close(() => resolve()));
  });

  async function client() {
    const made = await startClient(proxy.port);
    sockets.push(made.socket);
    return made;
  }

  it('forwards both ways while healthy', async () => {
    const { socket, state } = await client();
    socket.write('hello');
    await waitUntil(() => state.received === 'HELLO', 'the echo');
    expect(proxy.connections).toBe(1);
  });

  it('cut() resets every open connection, and a new one works', async () => {
    const { socket, state } = await client();
    socket.write('a');
    await waitUntil(() => state.received === 'A', 'the first echo');
    proxy.cut();
    await waitUntil(() => state.closed, 'the client to see its connection cut', 1_000);
    await waitUntil(() => echo.sockets.size === 0, 'the server to see it cut', 1_000);
    await waitUntil(() => proxy.connections === 0, 'the proxy to forget it', 1_000);

    const next = await client();
    next.socket.write('b');
    await waitUntil(() => next.state.received === 'B', 'an echo on a new connection');
  });

  it('delay(ms) holds each chunk back about ms each way, in order; heal() removes it', async () => {
    const { socket, state } = await client();
    proxy.delay(100);
    const started = performance.now();
    socket.write('x');
    setTimeout(() => socket.write('y'), 10);
    // Two hops of 100 ms each: there and back.
    await pause(120);
    expect(state.received).toBe('');
    await waitUntil(() => state.received === 'XY', 'both echoes, in order', 2_000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);

    proxy.heal();
    const healed = performance.now();
    socket.write('z');
    await waitUntil(() => state.received === 'XYZ', 'the echo after heal()');
    expect(performance.now() - healed).toBeLessThan(100);
  });

  it('goSilent() stops forwarding without closing; heal() delivers what was held, in order', async () => {
    const { socket, state } = await client();
    socket.write('a');
    await waitUntil(() => state.received === 'A', 'the first echo');
    proxy.goSilent();
    socket.write('b');
    socket.write('c');
    await pause(150);
    expect(state).toEqual({ received: 'A', closed: false });
    expect(proxy.connections).toBe(1);

    // A connection made while silent is accepted and never answered.
    const late = await client();
    late.socket.write('d');
    await pause(100);
    expect(late.state).toEqual({ received: '', closed: false });

    proxy.heal();
    await waitUntil(() => state.received === 'ABC', 'the held bytes, in order');
    await waitUntil(() => late.state.received === 'D', 'the late connection to reach the server');
  });

  it('goSilent({ onlyOpen: true }) leaves later connections flowing', async () => {
    const { socket, state } = await client();
    proxy.goSilent({ onlyOpen: true });
    const later = await client();
    later.socket.write('k');
    await waitUntil(() => later.state.received === 'K', 'the echo on the later connection');
    socket.write('j');
    await pause(100);
    expect(state.received).toBe('');
  });

  it('started silent, it is a black hole that never dials the target', async () => {
    const blackHole = await FaultProxy.start(
      { host: '127.0.0.1', port: echo.port },
      { silent: true },
    );
    try {
      const { socket, state } = await startClient(blackHole.port);
      sockets.push(socket);
      socket.write('q');
      await waitUntil(() => blackHole.connections === 1, 'the connection to be accepted');
      await pause(100);
      expect(state).toEqual({ received: '', closed: false });
      expect(echo.sockets.size).toBe(0);
      socket.end();
      await waitUntil(() => blackHole.connections === 0, 'the goodbye to be seen', 1_000);
    } finally {
      await blackHole.close();
    }
  });

  it('close() refuses new connections and resets open ones, within its deadline', async () => {
    const { state } = await client();
    const port = proxy.port;
    const started = performance.now();
    await proxy.close();
    expect(performance.now() - started).toBeLessThan(2_000);
    await waitUntil(() => state.closed, 'the open connection to be reset', 1_000);
    const refused = connect(port, '127.0.0.1');
    const error = await new Promise<NodeJS.ErrnoException>((resolve) =>
      refused.once('error', resolve),
    );
    expect(error.code).toBe('ECONNREFUSED');
    // afterEach closes it again: a second close is a no-op, not a hang or an error.
  });
});
