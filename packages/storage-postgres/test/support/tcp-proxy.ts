import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL for fault injection: it can freeze (keep
 * every connection open but forward nothing, like a network that drops packets
 * without a reset), cut every connection, or stop listening (connection
 * refused). Started frozen it is a black hole: connections are accepted and
 * never answered.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  readonly #links = new Set<{ frozen: boolean }>();
  #frozen: boolean;

  private constructor(server: Server, target: { host: string; port: number }, frozen: boolean) {
    this.#server = server;
    this.#target = target;
    this.#frozen = frozen;
    server.on('connection', (socket) => this.#accept(socket));
  }

  /** Listens on a free port of 127.0.0.1 and forwards to `target`. */
  static async start(
    target: { host: string; port: number },
    options: { frozen?: boolean } = {},
  ): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, target, options.frozen ?? false);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The port to connect to. */
  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return address.port;
  }

  /** Client connections currently open to the proxy. */
  get connections(): number {
    let count = 0;
    for (const socket of this.#sockets) if (socket.localPort === this.port) count++;
    return count;
  }

  /**
   * Stops forwarding in both directions, for good, on every connection open now
   * and, unless `onlyOpen`, every later one; connections stay open.
   */
  freeze(options: { onlyOpen?: boolean } = {}): void {
    if (options.onlyOpen !== true) this.#frozen = true;
    for (const link of this.#links) link.frozen = true;
  }

  /** Destroys every open connection (both sides see a reset). */
  cutAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  /** Stops listening and cuts every connection: new connections are refused. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.cutAll();
    await closed;
  }

  #accept(client: Socket): void {
    if (this.#frozen) {
      // A black hole: hold the connection, never answer, never reach the target.
      this.#sockets.add(client);
      client.resume(); // read and drop, so a goodbye (FIN) is still seen
      client.on('error', () => client.destroy());
      client.on('close', () => this.#sockets.delete(client));
      return;
    }
    const upstream = connect(this.#target);
    const link = { frozen: false };
    this.#links.add(link);
    client.on('close', () => this.#links.delete(link));
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.#sockets.add(from);
      from.on('data', (chunk) => {
        // Frozen for good: what is not forwarded now never will be.
        if (!link.frozen) to.write(chunk);
      });
      from.on('error', () => from.destroy());
      from.on('close', () => {
        this.#sockets.delete(from);
        to.destroy();
      });
    }
  }
}
