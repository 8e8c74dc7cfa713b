import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { withDeadline } from './polling.js';

/** Where a {@link FaultProxy} forwards to. */
export interface FaultProxyTarget {
  readonly host: string;
  readonly port: number;
}

/** Settings of {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /**
   * Start silent: every connection is accepted and never answered, and the
   * target is not even dialled until {@link FaultProxy.heal}; a black hole,
   * like a server that hangs or a network that drops every packet.
   * @default false
   */
  readonly silent?: boolean;
}

/** How long {@link FaultProxy.close} may take before it rejects. */
const CLOSE_TIMEOUT_MS = 2_000;

/** One direction of one connection: chunks in order, each held back until due. */
class Lane {
  readonly #queue: { readonly chunk: Buffer | 'end'; readonly due: number }[] = [];
  readonly #deliver: (chunk: Buffer | 'end') => void;
  #held: boolean;
  #timer: NodeJS.Timeout | undefined;

  constructor(deliver: (chunk: Buffer | 'end') => void, held: boolean) {
    this.#deliver = deliver;
    this.#held = held;
  }

  /** Whether an end of stream is queued and not delivered yet. */
  get ending(): boolean {
    return this.#queue.some((item) => item.chunk === 'end');
  }

  push(chunk: Buffer | 'end', delayMs: number): void {
    this.#queue.push({ chunk, due: performance.now() + delayMs });
    this.#pump();
  }

  hold(): void {
    this.#held = true;
    clearTimeout(this.#timer);
  }

  release(): void {
    this.#held = false;
    this.#pump();
  }

  dispose(): void {
    this.#held = true;
    clearTimeout(this.#timer);
    this.#queue.length = 0;
  }

  #pump(): void {
    clearTimeout(this.#timer);
    if (this.#held) return;
    // First in, first out whatever each chunk's delay: a later, shorter delay
    // never overtakes, as on one TCP stream.
    for (let head = this.#queue[0]; head !== undefined; head = this.#queue[0]) {
      const wait = head.due - performance.now();
      if (wait > 0) {
        this.#timer = setTimeout(() => this.#pump(), wait);
        this.#timer.unref();
        return;
      }
      this.#queue.shift();
      this.#deliver(head.chunk);
    }
  }
}

/** A client connection and, once dialled, its connection to the target. */
interface Link {
  readonly client: Socket;
  upstream: Socket | undefined;
  silent: boolean;
  readonly toUpstream: Lane;
  readonly toClient: Lane;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL, Redis, …)
 * that injects network faults into the connections it carries:
 *
 * - {@link cut}: reset every open connection, as a crashed peer or a killed
 *   middlebox does;
 * - {@link delay}: hold each chunk back for a while before forwarding it, in
 *   both directions, order kept;
 * - {@link goSilent}: stop forwarding without closing anything, as a network
 *   path that drops every packet (no reset, no FIN: only a timeout notices);
 * - {@link heal}: undo silence and delay; what was held back while silent is
 *   delivered then, in order, as TCP retransmits once a path is back;
 * - {@link close}: stop listening, so new connections are refused.
 *
 * A close on either side is never held back: while silent it reaches the
 * other side at once (what was held back is dropped), otherwise after the
 * data before it.
 *
 * @example
 * const proxy = await FaultProxy.start({ host: '127.0.0.1', port: 5432 });
 * const pool = new pg.Pool({ connectionString: proxy.urlFor(PG_URL) });
 * proxy.goSilent();
 * // … the pool's next query must time out, not hang …
 * await proxy.close();
 */
export class FaultProxy {
  readonly #server: Server;
  readonly #target: FaultProxyTarget;
  readonly #links = new Set<Link>();
  #silent: boolean;
  #delayMs = 0;

  private constructor(server: Server, target: FaultProxyTarget, options: FaultProxyOptions) {
    this.#server = server;
    this.#target = target;
    this.#silent = options.silent ?? false;
    server.on('connection', (client) => this.#accept(client));
  }

  /** Listens on a free port of 127.0.0.1, forwarding to `target`. */
  static async start(
    target: FaultProxyTarget,
    options: FaultProxyOptions = {},
  ): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(server, target, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  /** The host to connect to: always `127.0.0.1`. */
  get host(): string {
    return '127.0.0.1';
  }

  /** The port to connect to. */
  get port(): number {
    const address = this.#server.address() as AddressInfo | null;
    if (address === null) throw new Error('the FaultProxy is not listening (closed?)');
    return address.port;
  }

  /**
   * `url` (a `postgres://` or `redis://` URL of the target) with its host and
   * port replaced by the proxy's: credentials, database and options kept.
   */
  urlFor(url: string): string {
    const rewritten = new URL(url);
    rewritten.host = `${this.host}:${this.port}`;
    return rewritten.toString();
  }

  /** How many client connections are open through the proxy. */
  get connections(): number {
    return this.#links.size;
  }

  /** Resets every open connection, both sides; later connections flow normally. */
  cut(): void {
    for (const link of this.#links) this.#drop(link);
  }

  /**
   * Holds each chunk forwarded from now on, both ways and on every connection,
   * `ms` milliseconds before passing it on; `0` forwards at once again.
   */
  delay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new TypeError(`Expected \`ms\` to be a finite number >= 0, got \`${ms}\``);
    }
    this.#delayMs = ms;
  }

  /**
   * Stops forwarding, both ways, without closing anything, on every open
   * connection and, unless `onlyOpen`, on every later one (accepted, never
   * answered, the target not dialled) until {@link heal}.
   */
  goSilent(options: { readonly onlyOpen?: boolean } = {}): void {
    if (options.onlyOpen !== true) this.#silent = true;
    for (const link of this.#links) {
      link.silent = true;
      link.toUpstream.hold();
      link.toClient.hold();
    }
  }

  /**
   * Undoes {@link goSilent} and {@link delay}: every connection forwards
   * again, first what it held back, in order; connections accepted while
   * silent dial the target now.
   */
  heal(): void {
    this.#silent = false;
    this.#delayMs = 0;
    for (const link of this.#links) {
      link.silent = false;
      this.#dial(link);
      link.toUpstream.release();
      link.toClient.release();
    }
  }

  /**
   * Stops listening (new connections are refused) and resets every open one.
   * Closing a closed proxy does nothing.
   * @throws Error when the listening socket has not closed within
   *   2 s (a leak to hear about, rather than a hung teardown).
   */
  async close(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve, reject) =>
      this.#server.close((error) => (error === undefined ? resolve() : reject(error))),
    );
    this.cut();
    await withDeadline(closed, CLOSE_TIMEOUT_MS, 'the FaultProxy to close');
  }

  #accept(client: Socket): void {
    const link: Link = {
      client,
      upstream: undefined,
      silent: this.#silent,
      toUpstream: new Lane((chunk) => {
        if (chunk === 'end') link.upstream?.end();
        else link.upstream?.write(chunk);
      }, this.#silent),
      toClient: new Lane((chunk) => {
        if (chunk === 'end') client.end();
        else client.write(chunk);
      }, this.#silent),
    };
    this.#links.add(link);
    // Always read, silent or not, so a goodbye (FIN) is seen.
    client.on('data', (chunk: Buffer) => link.toUpstream.push(chunk, this.#delayMs));
    client.on('end', () => link.toUpstream.push('end', this.#delayMs));
    client.on('error', () => client.destroy());
    client.on('close', () => {
      this.#links.delete(link);
      link.toClient.dispose();
      if (link.silent || !link.toUpstream.ending) {
        link.toUpstream.dispose();
        link.upstream?.destroy();
      }
    });
    if (!link.silent) this.#dial(link);
  }

  #dial(link: Link): void {
    if (link.upstream !== undefined || link.client.destroyed) return;
    const upstream = connect(this.#target.port, this.#target.host);
    link.upstream = upstream;
    upstream.on('data', (chunk: Buffer) => link.toClient.push(chunk, this.#delayMs));
    upstream.on('end', () => link.toClient.push('end', this.#delayMs));
    upstream.on('error', () => upstream.destroy());
    upstream.on('close', () => {
      link.toUpstream.dispose();
      if (link.silent || !link.toClient.ending) this.#drop(link);
    });
  }

  #drop(link: Link): void {
    link.toUpstream.dispose();
    link.toClient.dispose();
    link.client.destroy();
    link.upstream?.destroy();
  }
}
