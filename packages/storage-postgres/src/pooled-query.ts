import { asError } from '@aa/core';
import type { Pool, PoolClient } from 'pg';
import pg from 'pg';
import { sendCancelRequest } from './cancel-request.js';
import { Cutoff } from './cutoff.js';

const noop = () => {};

/**
 * What {@link pooledQuery} runs on the client it checked out: one query (one
 * `client.query`, whatever it sends), and an optional hook told of a server
 * error on that client before the client goes back to the pool.
 */
export interface PooledQuery<T> {
  /** Sends the query on `client`; settles with its outcome. */
  run(client: PoolClient): Promise<T>;
  /**
   * Told of a server error that left the connection usable; `true` runs the
   * query once more on the same client, within the same deadline (for an error
   * that says what the client was believed to hold was wrong).
   */
  retry?(client: PoolClient, error: pg.DatabaseError): boolean;
}

/**
 * Runs one query on a client checked out of `pool`, bounded by `timeoutMs`
 * (checkout included) and honouring `signal` as far as `pg` allows. Rejects
 * with `signal.reason` itself when the caller aborts, with an `Error` saying so
 * when the time runs out, and otherwise with the driver's error, untouched.
 *
 * What an abort (or the timeout) does depends on where the query is:
 * - already aborted: rejects at once; no client is checked out;
 * - waiting for a pooled client: rejects at once. `pg.Pool` cannot withdraw a
 *   waiting request, so the client it eventually hands over goes straight back,
 *   unused;
 * - running: rejects at once, sends the server a protocol CancelRequest for
 *   that backend ({@link sendCancelRequest}) so a query stuck on a lock or a
 *   busy server stops using it, and destroys the client rather than returning
 *   it to the pool: a cancel that lands late must not hit the next caller's
 *   query, and a connection in an unknown state must not be reused.
 *
 * A client whose connection failed is destroyed too, as is one whose session
 * the server ended (a FATAL error such as `pg_terminate_backend`'s); one that
 * got any other server error goes back to the pool. A client found inside a
 * transaction (released so by another user of the pool) is destroyed before
 * use.
 */
export async function pooledQuery<T>(
  pool: Pool,
  query: PooledQuery<T>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<T> {
  signal?.throwIfAborted();
  // One cutoff for both ways a query is cut short, so every stage below has
  // one thing to watch; its reason is what the caller gets.
  const cutoff = Cutoff.after(timeoutMs);
  const onCallerAbort = () => cutoff.cut(signal?.reason);
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    const client = await idleClient(pool, cutoff);
    // Without a listener a socket error emitted on a checked-out client would
    // be an uncaught exception; the query's own rejection reports it.
    client.on('error', noop);
    let release: Error | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await runAbortable(client, query.run(client), cutoff, () => {
            release = new Error('query aborted');
          });
        } catch (error) {
          release ??= connectionBroken(error);
          if (release !== undefined || attempt > 1) throw error;
          if (!query.retry?.(client, error as pg.DatabaseError)) throw error;
        }
      }
    } finally {
      // A destroyed client keeps the listener: it may still report its socket's end.
      if (release === undefined) client.off('error', noop);
      client.release(release);
    }
  } finally {
    cutoff.dispose();
    signal?.removeEventListener('abort', onCallerAbort);
  }
}

/**
 * Whether `error` leaves the connection unusable, as the error to destroy the
 * client with: anything but a server error, and a server error of severity
 * FATAL or PANIC (the server ended the session: `pg_terminate_backend`, a
 * shutdown, a failover), which `pg` still reports as a `DatabaseError`.
 */
function connectionBroken(error: unknown): Error | undefined {
  if (!(error instanceof pg.DatabaseError)) return asError(error);
  return error.severity === 'FATAL' || error.severity === 'PANIC' ? error : undefined;
}

/**
 * A client from `pool` whose connection is not inside a transaction. Another
 * user of the pool may have released one mid-transaction; a transaction-local
 * setting made on it would outlive the query, so such a client is destroyed
 * and another taken, within the same deadline.
 */
async function idleClient(pool: Pool, cutoff: Cutoff): Promise<PoolClient> {
  for (;;) {
    const client = await checkout(pool, cutoff);
    // pg records the status of the last ReadyForQuery without typing it.
    const status = (client as unknown as { _txStatus?: unknown })._txStatus;
    if (status === undefined || status === null || status === 'I') return client;
    client.release(new Error('checked out inside a transaction'));
  }
}

/**
 * A client from `pool`, or a rejection with the cutoff's reason as soon as the
 * call is cut short (at once if it already was). `pg.Pool` cannot withdraw a
 * waiting request, so a client that arrives after the cut goes straight back
 * to the pool, unused.
 */
export function checkout(pool: Pool, cutoff: Cutoff): Promise<PoolClient> {
  if (cutoff.isCut) return Promise.reject(cutoff.reason);
  const connecting = pool.connect();
  return new Promise((resolve, reject) => {
    cutoff.whenCut(reject);
    connecting.then(
      (client) => {
        cutoff.whenCut(undefined);
        if (cutoff.isCut) {
          client.release();
          reject(cutoff.reason);
        } else {
          resolve(client);
        }
      },
      (error: unknown) => {
        cutoff.whenCut(undefined);
        reject(error);
      },
    );
  });
}

function runAbortable<T>(
  client: PoolClient,
  running: Promise<T>,
  cutoff: Cutoff,
  onAborted: () => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    cutoff.whenCut((reason) => {
      onAborted();
      // The late outcome (usually "canceling statement due to user request")
      // has no one left to hear it.
      running.catch(noop);
      void sendCancelRequest(client);
      reject(reason);
    });
    running.then(
      (result) => {
        cutoff.whenCut(undefined);
        resolve(result);
      },
      (error: unknown) => {
        cutoff.whenCut(undefined);
        reject(error);
      },
    );
  });
}
