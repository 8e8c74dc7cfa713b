import type * as http2 from 'node:http2';
import { Http2SessionManager } from '@connectrpc/connect-node';
import type { ResolvedGatewayOptions } from './gateway-options.js';

/**
 * Connect's HTTP/2 session manager, with a tap on the session it opened:
 * Connect hides the session, and the stream's liveness heartbeat needs to PING
 * it and see the answer. Connect's own keepalive PINGs stay off (its default):
 * they would run on the real clock, beside the heartbeat's PINGs on the
 * subscriber's scheduler, and double the PING rate a server may limit.
 */
export class TappedSessionManager {
  readonly #inner: Http2SessionManager;
  readonly authority: string;
  #session: http2.ClientHttp2Session | undefined;

  constructor(options: ResolvedGatewayOptions, connectTimeoutMs: number) {
    const { tls } = options;
    this.#inner = new Http2SessionManager(
      options.url,
      { connectTimeoutMs },
      tls === undefined
        ? {}
        : {
            ca: tls.ca,
            cert: tls.cert,
            key: tls.key,
            ...(tls.servername === undefined ? {} : { servername: tls.servername }),
          },
    );
    this.authority = this.#inner.authority;
  }

  /** The session of the last request, once there is one. */
  get session(): http2.ClientHttp2Session | undefined {
    return this.#session;
  }

  async request(
    method: string,
    path: string,
    headers: http2.OutgoingHttpHeaders,
    options: Omit<http2.ClientSessionRequestOptions, 'signal'>,
  ): Promise<http2.ClientHttp2Stream> {
    const stream = await this.#inner.request(method, path, headers, options);
    this.#session = stream.session as http2.ClientHttp2Session | undefined;
    return stream;
  }

  notifyResponseByteRead(stream: http2.ClientHttp2Stream): void {
    this.#inner.notifyResponseByteRead(stream);
  }

  /** Closes the session and every stream on it. */
  abort(reason?: Error): void {
    this.#inner.abort(reason);
  }
}
