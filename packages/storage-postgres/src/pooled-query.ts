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
  /** Called with a server error (a `pg.DatabaseError`: the connection is fine). */
  failed?(client: PoolClient, error: unknown): void;
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
 * A client whose connection failed is destroyed too; one that got a server
 * error (a `DatabaseError`: the connection is fine) goes back to the pool.
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
    const client = await checkout(pool, cutoff);
    // Without a listener a socket error emitted on a checked-out client would
    // be an uncaught exception; the query's own rejection reports it.
    client.on('error', noop);
    let release: Error | undefined;
    try {
      return await runAbortable(client, query.run(client), cutoff, () => {
        release = new Error('query aborted');
      });
    } catch (error) {
      release ??= error instanceof pg.DatabaseError ? undefined : asError(error);
      if (release === undefined) query.failed?.(client, error);
      throw error;
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

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
