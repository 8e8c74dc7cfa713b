import * as net from 'node:net';

/**
 * A TCP proxy in front of a gateway that can cut every connection (both ends
 * see a reset) or go silent: stop forwarding in both directions while keeping
 * the sockets open, as a dropped network path or a hung peer does. New
 * connections are forwarded normally either way. (To be replaced by the
 * shared `@aa/test-infra` FaultProxy.)
 */
export class TcpProxy {
  readonly #server: net.Server;
  readonly #pairs = new Set<{ client: net.Socket; upstream: net.Socket; silent: boolean }>();
  #port = 0;

  private constructor(targetPort: number) {
    this.#server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      const pair = { client, upstream, silent: false };
      this.#pairs.add(pair);
      const forward = (from: net.Socket, to: net.Socket) =>
        from.on('data', (chunk) => {
          if (!pair.silent) to.write(chunk);
        });
      forward(client, upstream);
      forward(upstream, client);
      const end = () => {
        this.#pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.#port = (proxy.#server.address() as net.AddressInfo).port;
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Open connections now. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Resets every open connection. */
  cut(): void {
    for (const pair of this.#pairs) {
      pair.client.resetAndDestroy();
      pair.upstream.destroy();
    }
  }

  /** The open connections stop forwarding anything, without closing. */
  silence(): void {
    for (const pair of this.#pairs) pair.silent = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
