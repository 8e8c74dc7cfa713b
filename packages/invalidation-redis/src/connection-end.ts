import type { Redis } from 'ioredis';

/**
 * Closes `connection` and resolves once ioredis reports it ended (`'end'`):
 * socket closed, its disconnect timer cleared. Only for connections opened
 * with ioredis's reconnection off (`retryStrategy` returning `null`): one that
 * is `'reconnecting'` never emits `'end'` when disconnected.
 *
 * @param graceful - send `QUIT` and let the server close the connection after
 *   answering what was sent before it; otherwise close the socket at once, which
 *   is the only way to stop a blocked command.
 */
export async function endConnection(connection: Redis, graceful: boolean): Promise<void> {
  if (connection.status === 'end') return;
  const ended = new Promise<void>((resolve) => connection.once('end', () => resolve()));
  if (graceful && connection.status === 'ready') {
    try {
      await connection.quit();
    } catch {
      connection.disconnect();
    }
  } else {
    connection.disconnect();
  }
  await ended;
}
