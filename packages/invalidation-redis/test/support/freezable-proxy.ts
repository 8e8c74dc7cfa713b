import net from 'node:net';

/**
 * A TCP proxy in front of Redis that can freeze the connections it carries:
 * bytes stop flowing both ways, yet no socket closes, as when a peer vanishes
 * behind a dead network path. Connections made after a freeze flow normally.
 */
export class FreezableProxy {
  readonly #server: net.Server;
  readonly #pairs = new Set<{ client: net.Socket; upstream: net.Socket; frozen: boolean }>();

  private constructor(server: net.Server) {
    this.#server = server;
  }

  /** Listens on a free local port, forwarding to `target` (`host:port`). */
  static async start(target: { host: string; port: number }): Promise<FreezableProxy> {
    const server = net.createServer();
    const proxy = new FreezableProxy(server);
    server.on('connection', (client) => proxy.#accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The proxy's `redis://` URL. */
  get url(): string {
    const address = this.#server.address() as net.AddressInfo;
    return `redis://127.0.0.1:${address.port}`;
  }

  /** Stops every current connection's data, in both directions, without closing it. */
  freeze(): void {
    for (const pair of this.#pairs) pair.frozen = true;
  }

  /** Closes the proxy and every connection through it. */
  async close(): Promise<void> {
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket, target: { host: string; port: number }): void {
    const upstream = net.connect(target.port, target.host);
    const pair = { client, upstream, frozen: false };
    this.#pairs.add(pair);
    client.on('data', (chunk) => {
      if (!pair.frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!pair.frozen) client.write(chunk);
    });
    const teardown = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', teardown);
      socket.on('end', teardown);
      socket.on('close', teardown);
    }
  }
}
