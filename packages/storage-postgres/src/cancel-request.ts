import { connect } from 'node:net';
import type { Client } from 'pg';

// The protocol's CancelRequest: length 16, code 1234 << 16 | 5678, pid, secret.
const CANCEL_REQUEST_CODE = 80_877_102;
const CANCEL_TIMEOUT_MS = 2_000;

/**
 * Asks the server to cancel whatever `client`'s backend is running, the way
 * libpq's `PQcancel` does: a 16-byte CancelRequest (backend pid and secret key)
 * on a fresh socket. It needs no authentication and no pool slot, so it works
 * when the pool is exhausted, which `pg_cancel_backend()` from another pooled
 * connection would not. `pg` has no public API for it.
 *
 * Best effort and fire-and-forget: resolves `true` once the request was sent,
 * `false` when it could not be (no key data yet, socket error, timeout); never
 * rejects. The socket is unref'd and closed within 2 s whatever happens.
 */
export function sendCancelRequest(client: Client): Promise<boolean> {
  // pg keeps the BackendKeyData on the client without typing it.
  const { processID, secretKey } = client as unknown as {
    processID?: unknown;
    secretKey?: unknown;
  };
  if (!Number.isInteger(processID) || !Number.isInteger(secretKey)) return Promise.resolve(false);
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  packet.writeInt32BE(processID as number, 8);
  packet.writeInt32BE(secretKey as number, 12);

  return new Promise((resolve) => {
    const { host, port } = client;
    const socket =
      typeof host === 'string' && host.startsWith('/')
        ? connect({ path: `${host}/.s.PGSQL.${port}` })
        : connect({ host, port });
    let sent = false;
    socket.unref();
    socket.setTimeout(CANCEL_TIMEOUT_MS, () => socket.destroy());
    socket.once('connect', () => {
      sent = true;
      socket.end(packet);
    });
    socket.once('error', () => socket.destroy());
    socket.once('close', () => resolve(sent));
  });
}
