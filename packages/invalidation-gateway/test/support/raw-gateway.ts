import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import {
  InvalidationEventSchema,
  type SubscribeRequest,
  SubscribeRequestSchema,
} from '../../src/generated/invalidation_pb.js';

/** One `Subscribe` call on a {@link RawGateway}, answered byte by byte by the test. */
export interface RawCall {
  readonly stream: http2.ServerHttp2Stream;
  readonly headers: http2.IncomingHttpHeaders;
  /** The client's requests decoded so far: the initial one, then acks. */
  readonly requests: SubscribeRequest[];
  /** Resolves with the client's first request. */
  readonly initial: Promise<SubscribeRequest>;
  /** Sends the response headers of an open gRPC stream (`:status` 200, `application/grpc`). */
  open(headers?: http2.OutgoingHttpHeaders): void;
  /** Sends one event, length-prefixed. */
  send(event: MessageInitShape<typeof InvalidationEventSchema>): void;
  /** Writes `bytes` as they are: a hostile frame, half a frame. */
  write(bytes: Uint8Array): void;
  /** Ends the stream with a gRPC status in the trailers. */
  end(status?: number, message?: string): void;
}

/** A length-prefixed gRPC message frame (uncompressed) around `body`. */
export function frame(body: Uint8Array): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

/** A policy invalidation event, encoded. */
export function event(seq: bigint, agentId: string): Uint8Array {
  return toBinary(
    InvalidationEventSchema,
    create(InvalidationEventSchema, {
      seq,
      payload: { case: 'policyInvalidated', value: { agentId, policyVersion: 1n } },
    }),
  );
}

/**
 * A gRPC server written on `node:http2` itself, so a test can answer with what
 * no gRPC library would send: a body that is not protobuf, a truncated frame, a
 * huge claimed length, a wrong content type, an HTTP error, GOAWAY, RST_STREAM,
 * or nothing at all. `handler` gets each `Subscribe` call.
 */
export class RawGateway {
  readonly #server: http2.Http2Server | http2.Http2SecureServer;
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  readonly #scheme: 'http' | 'https';
  /** Every call received, in order. */
  readonly calls: RawCall[] = [];
  #port = 0;

  private constructor(server: http2.Http2Server | http2.Http2SecureServer, tls: boolean) {
    this.#server = server;
    this.#scheme = tls ? 'https' : 'http';
  }

  /** Starts listening on a free port of 127.0.0.1 (TLS with `tls`). */
  static async start(
    handler: (call: RawCall) => void,
    tls?: { readonly cert: string; readonly key: string },
  ): Promise<RawGateway> {
    const server = tls === undefined ? http2.createServer() : http2.createSecureServer(tls);
    const gateway = new RawGateway(server, tls !== undefined);
    server.on('session', (session) => {
      gateway.#sessions.add(session);
      session.on('close', () => gateway.#sessions.delete(session));
      session.on('error', () => {});
    });
    server.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      const call = rawCall(stream, headers);
      gateway.calls.push(call);
      handler(call);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    gateway.#port = (server.address() as AddressInfo).port;
    return gateway;
  }

  /** `http://127.0.0.1:<port>` (`https://` with TLS). */
  get url(): string {
    return `${this.#scheme}://127.0.0.1:${this.#port}`;
  }

  /** The HTTP/2 sessions (connections) open now. */
  get sessions(): ReadonlySet<http2.ServerHttp2Session> {
    return this.#sessions;
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const session of this.#sessions) session.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function rawCall(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): RawCall {
  const requests: SubscribeRequest[] = [];
  let buffered = Buffer.alloc(0);
  let gotInitial!: (request: SubscribeRequest) => void;
  const initial = new Promise<SubscribeRequest>((resolve) => {
    gotInitial = resolve;
  });
  stream.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 5) {
      const length = buffered.readUInt32BE(1);
      if (buffered.length < 5 + length) break;
      const request = fromBinary(SubscribeRequestSchema, buffered.subarray(5, 5 + length));
      buffered = buffered.subarray(5 + length);
      requests.push(request);
      if (requests.length === 1) gotInitial(request);
    }
  });
  const writable = (): boolean => !stream.destroyed && !stream.closed;
  return {
    stream,
    headers,
    requests,
    initial,
    open(extra = {}) {
      if (!writable()) return;
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', ...extra },
        { waitForTrailers: true },
      );
    },
    send(init) {
      if (writable())
        stream.write(
          frame(toBinary(InvalidationEventSchema, create(InvalidationEventSchema, init))),
        );
    },
    write(bytes) {
      if (writable()) stream.write(bytes);
    },
    end(status = 0, message = '') {
      if (!writable()) return;
      stream.once('wantTrailers', () =>
        stream.sendTrailers({ 'grpc-status': String(status), 'grpc-message': message }),
      );
      stream.end();
    },
  };
}
