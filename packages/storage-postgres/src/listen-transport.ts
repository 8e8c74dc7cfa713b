import { AgentId, type Scheduler } from '@aa/core';
import type {
  ConnectContext,
  InvalidationTransport,
  TransportConnection,
  TransportEvent,
} from '@aa/invalidation';
import type { Client, ClientConfig, Notification } from 'pg';
import pg from 'pg';
import { endClient } from './end-client.js';

/**
 * Postgres LISTEN/NOTIFY as an invalidation transport: each connection is a
 * dedicated `pg.Client` (a LISTEN holds a session) that issues `LISTEN` on the
 * store's channel and turns each notification into an event, an agent id into
 * an invalidation and an empty payload into a clear.
 *
 * LISTEN has no replay: notifications sent while no connection listened are
 * lost, and nothing tells which. So no connection can prove continuity; the
 * subscriber clears its sink after every `LISTEN` (`'start'`, then
 * `'reconnect'`), and anything written after that is notified. An idle
 * connection proves it is alive with `SELECT 1` every `heartbeatIntervalMs`.
 */
export class ListenTransport implements InvalidationTransport<never> {
  /** The transport's name in errors, diagnostics and stats. */
  readonly name = 'postgres-listen';
  readonly #clientConfig: ClientConfig;
  readonly #channel: string;
  readonly #listenSql: string;
  #backendPid: number | undefined;

  /**
   * @param clientConfig - how to connect; each connection opens a new client from it.
   * @param channel - the channel to LISTEN on.
   */
  constructor(clientConfig: ClientConfig, channel: string) {
    this.#clientConfig = clientConfig;
    this.#channel = channel;
    this.#listenSql = `LISTEN ${pg.escapeIdentifier(channel)}`;
  }

  /** The channel listened on. */
  get target(): string {
    return this.#channel;
  }

  /** The server process id of the listening connection, `undefined` while none listens. */
  get backendPid(): number | undefined {
    return this.#backendPid;
  }

  /** Connects and issues `LISTEN`; continuity is never proven (see the class). */
  async connect(context: ConnectContext<never>): Promise<TransportConnection<never>> {
    const client = new pg.Client(this.#clientConfig);
    const connection = new ListenConnection(client, this.#channel, context, () => {
      this.#backendPid = undefined;
    });
    const abandon = (): void => void connection.close();
    context.signal.addEventListener('abort', abandon, { once: true });
    try {
      await client.connect();
      await client.query(this.#listenSql);
    } catch (error) {
      await connection.close();
      throw error;
    } finally {
      context.signal.removeEventListener('abort', abandon);
    }
    this.#backendPid = backendPidOf(client);
    return connection;
  }
}

/** One listening client: its notifications queued until read. */
class ListenConnection implements TransportConnection<never> {
  readonly continuity = { proven: false } as const;
  readonly #client: Client;
  readonly #channel: string;
  readonly #scheduler: Scheduler;
  readonly #heartbeatIntervalMs: number;
  readonly #onClose: () => void;
  #queue: TransportEvent<never>[] = [];
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  constructor(
    client: Client,
    channel: string,
    context: ConnectContext<never>,
    onClose: () => void,
  ) {
    this.#client = client;
    this.#channel = channel;
    this.#scheduler = context.scheduler;
    this.#heartbeatIntervalMs = context.heartbeatIntervalMs;
    this.#onClose = onClose;
    // Attached for the client's whole life: pg emits socket errors on the
    // client, and an 'error' event without a listener would crash the process.
    client.on('error', (error) => this.#fail(error));
    client.on('end', () => this.#fail(new Error('Connection terminated')));
    client.on('notification', (message) => this.#notified(message));
  }

  async read(): Promise<readonly TransportEvent<never>[]> {
    if (this.#queue.length === 0 && this.#failure === undefined) {
      const woken = await this.#waitForNotification();
      if (!woken && this.#queue.length === 0 && this.#failure === undefined) {
        // Idle for a whole interval: prove the connection is alive. The
        // subscriber's read deadline bounds the answer.
        await this.#client.query('SELECT 1');
      }
    }
    if (this.#failure !== undefined && this.#queue.length === 0) throw this.#failure;
    const events = this.#queue;
    this.#queue = [];
    return events;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#fail(new Error('Connection closed'));
      this.#onClose();
      await endClient(this.#client);
    })();
    return this.#closed;
  }

  /** Resolves `true` when a notification or a failure arrives, `false` after the interval. */
  #waitForNotification(): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.#scheduler.setTimeout(() => {
        this.#wake = undefined;
        resolve(false);
      }, this.#heartbeatIntervalMs);
      this.#wake = () => {
        this.#scheduler.clearTimeout(timer);
        this.#wake = undefined;
        resolve(true);
      };
    });
  }

  #notified(message: Notification): void {
    if (message.channel !== this.#channel || this.#failure !== undefined) return;
    this.#queue.push(toEvent(message.payload ?? ''));
    this.#wake?.();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#wake?.();
  }
}

function toEvent(payload: string): TransportEvent<never> {
  if (payload === '') return { kind: 'clear' };
  try {
    return { kind: 'invalidate', agentId: AgentId.parse(payload) };
  } catch {
    return {
      kind: 'malformed',
      detail: `expected an agent id or nothing, got ${JSON.stringify(payload.slice(0, 100))}`,
    };
  }
}

function backendPidOf(client: Client): number | undefined {
  // pg keeps the BackendKeyData on the client without typing it.
  const pid = (client as unknown as { processID?: unknown }).processID;
  return typeof pid === 'number' ? pid : undefined;
}
