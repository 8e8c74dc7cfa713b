import { checkInteger, checkObject, describeValue, withDefault } from '@aa/core';
import type { SubscriberOptions } from '@aa/invalidation';

/** An `ApprovalResolved` event from the gateway: a held action has a verdict. */
export interface GatewayApproval {
  /** The approval request that was resolved. */
  readonly requestId: string;
  /** The reviewer's verdict; `'unspecified'` is never sent by a conforming gateway. */
  readonly decision: 'approved' | 'denied' | 'pending' | 'unspecified';
  /** The event's sequence number. */
  readonly seq: number;
}

/** TLS settings for an `https://` gateway URL; the system's CAs are trusted when `ca` is absent. */
export interface GatewayTlsOptions {
  /** The CA certificate(s), PEM, that sign the gateway's certificate (a private CA, a self-signed one). */
  readonly ca?: string | Buffer | undefined;
  /** This client's certificate, PEM, for a gateway that asks for mutual TLS. */
  readonly cert?: string | Buffer | undefined;
  /** The private key, PEM, of `cert`. */
  readonly key?: string | Buffer | undefined;
  /** The name to verify the gateway's certificate against, when it differs from the URL's host. */
  readonly servername?: string | undefined;
}

/** The options of a `GatewayInvalidationSubscriber`: its own, then every subscriber's. */
export interface GatewayInvalidationOptions extends SubscriberOptions {
  /**
   * The gateway's gRPC endpoint, `http://host:port` (cleartext HTTP/2) or
   * `https://host:port` (TLS), e.g. `http://127.0.0.1:50051`.
   */
  readonly url: string;
  /**
   * This instance's stable id: the gateway keeps one replay slot per (tenant,
   * `assemblyId`) across reconnects, so give each process its own id and keep it
   * across reconnects (a restart of the process may reuse it).
   */
  readonly assemblyId: string;
  /** The credential token the gateway authenticates; none sent when absent. */
  readonly token?: string | undefined;
  /**
   * How the token is sent: `'authorization'` as `authorization: Bearer <token>`,
   * `'x-aa-credential-token'` as that header. The gateway accepts both.
   *
   * @default 'authorization'
   */
  readonly tokenHeader?: 'authorization' | 'x-aa-credential-token' | undefined;
  /** TLS settings; only with an `https://` URL. */
  readonly tls?: GatewayTlsOptions | undefined;
  /**
   * Told of each `ApprovalResolved` event, in stream order, after the
   * invalidations before it were applied. A callback that throws (or returns a
   * promise that rejects) is reported to `onError` (`Sink`), counted in
   * `stats().errors`, and the stream goes on.
   */
  readonly onApproval?: ((approval: GatewayApproval) => unknown) | undefined;
  /**
   * After a reconnect, the longest wait, in milliseconds, for the gateway's
   * replay to begin once the stream is open. The first replayed event proves
   * continuity (it is `lastSeq + 1`) or disproves it. The gateway sends its
   * replay with the stream's headers, so the client PINGs once the headers are
   * in: an answer with no event before it means no replay, and the subscriber
   * clears (`'unproven-resume'`), since a gateway that restarted replays
   * nothing either. This bounds the wait when that answer is slow; a wait cut
   * short costs a clear, never a lost invalidation.
   *
   * @default 250
   */
  readonly resumeGraceMs?: number | undefined;
}

/** The transport's own options, checked. */
export interface ResolvedGatewayOptions {
  readonly url: URL;
  readonly assemblyId: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: GatewayTlsOptions | undefined;
  readonly onApproval: ((approval: GatewayApproval) => unknown) | undefined;
  readonly resumeGraceMs: number;
}

/** The names of the transport's own options, for `resolveSubscriberOptions`. */
export const GATEWAY_OPTION_NAMES = [
  'url',
  'assemblyId',
  'token',
  'tokenHeader',
  'tls',
  'onApproval',
  'resumeGraceMs',
] as const satisfies readonly (keyof GatewayInvalidationOptions)[];

const TLS_KEYS = new Set(['ca', 'cert', 'key', 'servername']);
// A header value may not carry control characters; the token is sent as one.
const HEADER_SAFE = /^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/;

/**
 * Checks the gateway transport's own options (the common ones are checked by
 * `resolveSubscriberOptions`).
 *
 * @throws {TypeError} "Expected `option` to be …, got …".
 */
export function resolveGatewayOptions(options: GatewayInvalidationOptions): ResolvedGatewayOptions {
  const url = parseUrl(options.url);
  const { assemblyId, token, onApproval } = options;
  if (typeof assemblyId !== 'string' || assemblyId.trim() === '') {
    throw new TypeError(
      `Expected \`assemblyId\` to be a non-empty string, got ${describeValue(assemblyId)}`,
    );
  }
  if (token !== undefined && (typeof token !== 'string' || !HEADER_SAFE.test(token))) {
    throw new TypeError(
      `Expected \`token\` to be a non-empty string of printable ASCII, got ${describeValue(token)}`,
    );
  }
  const tokenHeader = withDefault(options.tokenHeader, 'authorization');
  if (tokenHeader !== 'authorization' && tokenHeader !== 'x-aa-credential-token') {
    throw new TypeError(
      `Expected \`tokenHeader\` to be 'authorization' or 'x-aa-credential-token', got ${describeValue(tokenHeader)}`,
    );
  }
  if (onApproval !== undefined && typeof onApproval !== 'function') {
    throw new TypeError(
      `Expected \`onApproval\` to be a function, got ${describeValue(onApproval)}`,
    );
  }
  const resumeGraceMs = checkInteger(
    'resumeGraceMs',
    withDefault(options.resumeGraceMs, 250),
    1,
    60_000,
  );
  const headers: Record<string, string> = {};
  if (token !== undefined) {
    headers[tokenHeader] = tokenHeader === 'authorization' ? `Bearer ${token}` : token;
  }
  return Object.freeze({
    url,
    assemblyId,
    headers: Object.freeze(headers),
    tls: checkTls(options.tls, url),
    onApproval,
    resumeGraceMs,
  });
}

function parseUrl(value: unknown): URL {
  const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new TypeError(
      `Expected \`url\` to be an http:// or https:// URL such as 'http://127.0.0.1:50051', got ${describeValue(value)}`,
    );
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new TypeError(
      `Expected \`url\` to have no credentials, query or fragment (pass the token as \`token\`), got ${describeValue(value)}`,
    );
  }
  if (url.pathname !== '/') {
    throw new TypeError(
      `Expected \`url\` to have no path (the service's path is fixed), got ${describeValue(value)}`,
    );
  }
  return url;
}

function checkTls(tls: unknown, url: URL): GatewayTlsOptions | undefined {
  checkObject('tls', tls);
  if (tls === undefined) return undefined;
  if (url.protocol !== 'https:') {
    throw new TypeError(
      `Expected an https:// \`url\` with \`tls\`, got ${describeValue(url.href)}`,
    );
  }
  for (const [key, value] of Object.entries(tls)) {
    if (!TLS_KEYS.has(key)) {
      throw new TypeError(
        `Expected \`tls\` to have only ca, cert, key and servername, got ${describeValue(key)}`,
      );
    }
    const ok =
      value === undefined ||
      typeof value === 'string' ||
      (key !== 'servername' && Buffer.isBuffer(value));
    if (!ok) {
      throw new TypeError(
        `Expected \`tls.${key}\` to be a string${key === 'servername' ? '' : ' or Buffer'}, got ${describeValue(value)}`,
      );
    }
  }
  const { cert, key } = tls as GatewayTlsOptions;
  if ((cert === undefined) !== (key === undefined)) {
    throw new TypeError(
      `Expected \`tls.cert\` and \`tls.key\` together, got only ${cert === undefined ? '`key`' : '`cert`'}`,
    );
  }
  return Object.freeze({ ...(tls as GatewayTlsOptions) });
}
