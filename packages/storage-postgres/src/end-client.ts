import type { Client } from 'pg';

// How long to wait for a graceful goodbye before destroying the socket.
const END_GRACE_MS = 1_000;

/** Ends `client`, destroying its socket if the goodbye takes too long; never rejects. */
export async function endClient(client: Client): Promise<void> {
  const timer = setTimeout(() => client.connection.stream.destroy(), END_GRACE_MS);
  timer.unref();
  try {
    await client.end();
  } catch {
    // Ending a broken connection may fail; it is closed either way.
  } finally {
    clearTimeout(timer);
  }
}
