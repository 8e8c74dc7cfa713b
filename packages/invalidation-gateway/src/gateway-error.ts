/**
 * The stable codes of a {@link GatewayError}, one per way the gateway can turn a
 * subscription down or end it.
 */
export const GATEWAY_ERROR_CODES = Object.freeze({
  /** The gateway did not accept the token (gRPC `UNAUTHENTICATED`): check `token`. */
  Unauthenticated: 'AA_GATEWAY_UNAUTHENTICATED',
  /** The token is valid but may not use this `assemblyId` (gRPC `PERMISSION_DENIED`). */
  PermissionDenied: 'AA_GATEWAY_PERMISSION_DENIED',
  /** The gateway rejected the request as malformed (gRPC `INVALID_ARGUMENT`). */
  Rejected: 'AA_GATEWAY_REJECTED',
  /** The gateway could not be reached, or the connection failed (any other gRPC status). */
  Unavailable: 'AA_GATEWAY_UNAVAILABLE',
  /** The gateway ended the stream, which it never does while it is healthy. */
  StreamEnded: 'AA_GATEWAY_STREAM_ENDED',
});

/** One of {@link GATEWAY_ERROR_CODES}. */
export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[keyof typeof GATEWAY_ERROR_CODES];

/**
 * Why a gateway subscription failed. The subscriber never throws it at the
 * caller: it reaches `onError` as the `cause` of an `InvalidationError`
 * (`Connection`), and the subscriber retries with backoff. Wrong credentials
 * are `code: 'AA_GATEWAY_UNAUTHENTICATED'`: retried like any failure (a
 * rotated token may be accepted later) but worth an alert.
 *
 * @example
 * onError(error) {
 *   if (error.cause instanceof GatewayError && error.cause.code === GATEWAY_ERROR_CODES.Unauthenticated) {
 *     alert('the gateway rejects our token');
 *   }
 * }
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  /** See {@link GATEWAY_ERROR_CODES}. */
  readonly code: GatewayErrorCode;
  /** The gRPC status code the gateway answered with, when it answered with one. */
  readonly grpcStatus: number | undefined;

  /**
   * @param code - see {@link GATEWAY_ERROR_CODES}.
   * @param message - what happened, for people.
   * @param options - `cause`: the underlying error; `grpcStatus`: the gRPC status code.
   */
  constructor(
    code: GatewayErrorCode,
    message: string,
    options: { readonly cause?: unknown; readonly grpcStatus?: number | undefined } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.grpcStatus = options.grpcStatus;
  }
}
