import type { Pool, PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import pg from 'pg';
import { sendCancelRequest } from './cancel-request.js';

const noop = () => {};

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
export async function pooledQuery<R extends QueryResultRow>(
  pool: Pool,
  query: QueryConfig,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<QueryResult<R>> {
  signal?.throwIfAborted();
  // One controller for both ways a query is cut short, so every stage below
  // has one signal to watch; its reason is what the caller gets.
  const controller = new AbortController();
  const stop = controller.signal;
  const timer = setTimeout(
    () => controller.abort(new Error(`no answer within ${timeoutMs} ms`)),
    timeoutMs,
  );
  timer.unref();
  const onCallerAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    const client = await checkout(pool, stop);
    if (stop.aborted) {
      client.release();
      throw stop.reason;
    }
    // Without a listener a socket error emitted on a checked-out client would
    // be an uncaught exception; the query's own rejection reports it.
    client.on('error', noop);
    let release: Error | undefined;
    try {
      return await runAbortable<R>(client, query, stop, () => {
        release = new Error('query aborted');
      });
    } catch (error) {
      release ??= error instanceof pg.DatabaseError ? undefined : asError(error);
      throw error;
    } finally {
      // A destroyed client keeps the listener: it may still report its socket's end.
      if (release === undefined) client.off('error', noop);
      client.release(release);
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCallerAbort);
  }
}

/**
 * A client from `pool`, or a rejection with `signal.reason` as soon as `signal`
 * aborts. `pg.Pool` cannot withdraw a waiting request, so a client that arrives
 * after the abort goes straight back to the pool, unused.
 */
export function checkout(pool: Pool, signal: AbortSignal): Promise<PoolClient> {
  const connecting = pool.connect();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      reject(signal.reason);
      connecting.then((client) => client.release(), noop);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    connecting.then(
      (client) => {
        signal.removeEventListener('abort', onAbort);
        resolve(client);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function runAbortable<R extends QueryResultRow>(
  client: PoolClient,
  query: QueryConfig,
  signal: AbortSignal,
  onAborted: () => void,
): Promise<QueryResult<R>> {
  return new Promise((resolve, reject) => {
    const running = client.query<R>(query);
    const onAbort = () => {
      onAborted();
      // The late outcome (usually "canceling statement due to user request")
      // has no one left to hear it.
      running.catch(noop);
      void sendCancelRequest(client);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    running.then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
