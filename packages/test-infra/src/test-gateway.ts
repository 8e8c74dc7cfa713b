import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  type InvalidationEvent,
  InvalidationEventSchema,
  type SubscribeRequest,
  SubscribeRequestSchema,
} from '../../invalidation-gateway/src/generated/invalidation_pb.js';
// A relative import, not a dependency on @aa/invalidation-gateway: that package's
// tests depend on this one, and the workspace graph must stay acyclic. Only the
// generated messages are shared (the wire contract), never the client's code.

/** Settings of {@link TestGateway.start}. */
export interface TestGatewayOptions {
  /**
   * token → tenant (`null`: a caller with no tenant, global events only).
   * Without it every caller is accepted, tenantless.
   * @default undefined
   */
  readonly tokens?: ReadonlyMap<string, string | null>;
  /** The port to listen on; `0` for any free one. @default 0 */
  readonly port?: number;
  /** A certificate and key (PEM) to serve TLS with. @default cleartext HTTP/2 */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** How many events each slot's replay ring keeps. @default 1_024 */
  readonly ringSize?: number;
}

/** One event's payload, as {@link TestGateway.publish} takes it (`{ case: undefined }`: none). */
export type TestGatewayPayload = InvalidationEvent['payload'];

/** How many live events a paused (lagging) channel queues before it drops the oldest. */
const LAG_CAPACITY = 1_024;

interface Live {
  readonly call: grpc.ServerDuplexStream<SubscribeRequest, InvalidationEvent>;
  /** While paused, live events queue here (a slow consumer); past LAG_CAPACITY they drop. */
  paused: boolean;
  readonly queue: InvalidationEvent[];
}

interface Slot {
  readonly tenant: string | null;
  nextSeq: number;
  ring: InvalidationEvent[];
  acked: number;
  readonly live: Set<Live>;
}

const encodeEvent = (event: InvalidationEvent | Uint8Array): Buffer =>
  Buffer.from(event instanceof Uint8Array ? event : toBinary(InvalidationEventSchema, event));

/**
 * A real gRPC server (grpc-js, an implementation independent of the client's
 * Connect) with the Agent Assembly gateway's invalidation semantics, as
 * upstream-interop.md section 4 states them: one slot per (tenant,
 * assembly_id), kept across reconnects and numbered from 1; a replay ring of
 * the last `ringSize` events, replayed after `last_seq_seen` on subscribe
 * (with the headers, before anything live) and trimmed by acks; a live channel
 * that drops events once 1,024 are queued (the subscriber is
 * "lagged"); token authentication (`x-aa-credential-token` or
 * `authorization: Bearer`). All of it in memory: a new instance on the same
 * port is a restarted gateway. The gateway tests and `pnpm bench:propagation`
 * run against it; it is never published.
 *
 * @example
 * const gateway = await TestGateway.start();
 * const subscriber = new GatewayInvalidationSubscriber({ url: gateway.url, assemblyId: 'a', sink });
 * await subscriber.start();
 * gateway.invalidate(agentId); // seq 1, to every slot
 * await gateway.stop();
 */
export class TestGateway {
  readonly #server = new grpc.Server();
  readonly #slots = new Map<string, Slot>();
  readonly #options: TestGatewayOptions;
  readonly #ringSize: number;
  readonly #rawNext: Uint8Array[] = [];
  #port = 0;
  /** Every request received, for assertions: initial subscriptions and acks. */
  readonly requests: {
    readonly assemblyId: string;
    readonly kind: string;
    readonly seq: number;
  }[] = [];
  /** The metadata (headers) of every `Subscribe` call received, for assertions. */
  readonly metadata: Record<string, string>[] = [];

  private constructor(options: TestGatewayOptions) {
    this.#options = options;
    this.#ringSize = options.ringSize ?? 1_024;
  }

  /** Starts a gateway on `options.port` (0: any free one). */
  static async start(options: TestGatewayOptions = {}): Promise<TestGateway> {
    const gateway = new TestGateway(options);
    await gateway.#listen();
    return gateway;
  }

  /** The port it listens on. */
  get port(): number {
    return this.#port;
  }

  /** `http://127.0.0.1:<port>` (`https://` with TLS): the subscriber's `url`. */
  get url(): string {
    return `${this.#options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${this.#port}`;
  }

  /** Live streams open right now. */
  get subscribers(): number {
    let count = 0;
    for (const slot of this.#slots.values()) count += slot.live.size;
    return count;
  }

  /** The highest seq acked by `assemblyId`'s slot. */
  acked(assemblyId: string, tenant: string | null = null): number {
    return this.#slots.get(slotKey(tenant, assemblyId))?.acked ?? 0;
  }

  /** Publishes a policy invalidation (`''`: every agent) to `tenant`'s slots, or every slot. */
  invalidate(agentId: string, tenant?: string | null): void {
    this.publish(
      { case: 'policyInvalidated', value: { agentId, policyVersion: 1n } as never },
      tenant,
    );
  }

  /** Publishes one event to every slot of `tenant` (`undefined`: a global event, every slot). */
  publish(payload: TestGatewayPayload, tenant?: string | null): void {
    for (const slot of this.#slots.values()) {
      if (tenant !== undefined && slot.tenant !== tenant) continue;
      const event = create(InvalidationEventSchema, { seq: BigInt(slot.nextSeq++), payload });
      slot.ring.push(event);
      if (slot.ring.length > this.#ringSize) slot.ring.splice(0, slot.ring.length - this.#ringSize);
      for (const live of slot.live) this.#deliver(live, event);
    }
  }

  /** The next event written to any stream is these raw bytes instead (a hostile or newer gateway). */
  sendRawNext(bytes: Uint8Array): void {
    this.#rawNext.push(bytes);
  }

  /** Holds `assemblyId`'s live events back (a consumer that fell behind); past 1,024 queued they drop. */
  pause(assemblyId: string, tenant: string | null = null): void {
    for (const live of this.#slots.get(slotKey(tenant, assemblyId))?.live ?? []) live.paused = true;
  }

  /** Undoes {@link pause}: the queued events (what was not dropped) go out, in order. */
  resume(assemblyId: string, tenant: string | null = null): void {
    for (const live of this.#slots.get(slotKey(tenant, assemblyId))?.live ?? []) {
      live.paused = false;
      for (const event of live.queue.splice(0)) live.call.write(event);
    }
  }

  /** Stops at once, as a crash does: every stream and connection is cut. */
  async stop(): Promise<void> {
    this.#server.forceShutdown();
  }

  #deliver(live: Live, event: InvalidationEvent): void {
    if (!live.paused) {
      live.call.write(event);
      return;
    }
    // A lagged broadcast channel: the oldest queued events are lost.
    live.queue.push(event);
    if (live.queue.length > LAG_CAPACITY) live.queue.shift();
  }

  #listen(): Promise<void> {
    const path = '/assembly.gateway.v1.InvalidationService/Subscribe';
    this.#server.addService(
      {
        Subscribe: {
          path,
          requestStream: true,
          responseStream: true,
          requestSerialize: (value: SubscribeRequest) =>
            Buffer.from(toBinary(SubscribeRequestSchema, value)),
          requestDeserialize: (bytes: Buffer) => fromBinary(SubscribeRequestSchema, bytes),
          responseSerialize: (value: InvalidationEvent) => {
            const raw = this.#rawNext.shift();
            return encodeEvent(raw ?? value);
          },
          responseDeserialize: (bytes: Buffer) => fromBinary(InvalidationEventSchema, bytes),
        },
      },
      {
        Subscribe: (call: grpc.ServerDuplexStream<SubscribeRequest, InvalidationEvent>) =>
          this.#subscribe(call),
      },
    );
    const credentials =
      this.#options.tls === undefined
        ? grpc.ServerCredentials.createInsecure()
        : grpc.ServerCredentials.createSsl(null, [
            {
              cert_chain: Buffer.from(this.#options.tls.cert),
              private_key: Buffer.from(this.#options.tls.key),
            },
          ]);
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(`127.0.0.1:${this.#options.port ?? 0}`, credentials, (error, port) => {
        if (error) return reject(error);
        this.#port = port;
        resolve();
      });
    });
  }

  #subscribe(call: grpc.ServerDuplexStream<SubscribeRequest, InvalidationEvent>): void {
    const metadata = Object.fromEntries(
      Object.entries(call.metadata.getMap()).map(([key, value]) => [key, String(value)]),
    );
    this.metadata.push(metadata);
    const tenant = this.#authenticate(call.metadata);
    if (tenant === undefined) {
      call.emit('error', {
        code: grpc.status.UNAUTHENTICATED,
        details: 'missing or unknown credential token',
      });
      return;
    }
    let live: Live | undefined;
    let slot: Slot | undefined;
    call.on('data', (request: SubscribeRequest) => {
      const seq = Number(
        request.kind.case === 'initial'
          ? request.kind.value.lastSeqSeen
          : (request.kind.value?.seq ?? 0),
      );
      this.requests.push({
        assemblyId: request.assemblyId,
        kind: request.kind.case ?? 'none',
        seq,
      });
      if (live === undefined) {
        if (request.assemblyId === '') {
          call.emit('error', {
            code: grpc.status.INVALID_ARGUMENT,
            details: 'assembly_id is required',
          });
          return;
        }
        const key = slotKey(tenant, request.assemblyId);
        slot = this.#slots.get(key) ?? { tenant, nextSeq: 1, ring: [], acked: 0, live: new Set() };
        this.#slots.set(key, slot);
        live = { call, paused: false, queue: [] };
        slot.live.add(live);
        const lastSeqSeen = request.kind.case === 'initial' ? seq : 0;
        call.sendMetadata(new grpc.Metadata());
        for (const event of slot.ring) if (Number(event.seq) > lastSeqSeen) call.write(event);
        return;
      }
      if (request.kind.case === 'ack' && slot !== undefined) {
        slot.acked = Math.max(slot.acked, seq);
        slot.ring = slot.ring.filter((event) => Number(event.seq) > seq);
      }
    });
    const leave = (): void => {
      if (live !== undefined) slot?.live.delete(live);
    };
    call.on('error', leave);
    call.on('cancelled', leave);
    call.on('close', leave);
    call.on('end', () => {
      leave();
      call.end();
    });
  }

  /** The caller's tenant, `null` for none; `undefined` when not authenticated. */
  #authenticate(metadata: grpc.Metadata): string | null | undefined {
    const tokens = this.#options.tokens;
    if (tokens === undefined) return null;
    const dedicated = metadata.get('x-aa-credential-token')[0];
    const bearer = /^bearer (.+)$/i.exec(String(metadata.get('authorization')[0] ?? ''))?.[1];
    const token = (dedicated === undefined ? bearer : String(dedicated))?.trim();
    return token === undefined ? undefined : tokens.get(token);
  }
}

function slotKey(tenant: string | null, assemblyId: string): string {
  return `${tenant ?? ''}\u0000${assemblyId}`;
}
