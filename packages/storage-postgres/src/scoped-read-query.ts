import type { PoolClient } from 'pg';
import { SET_TENANT } from './policy-sql.js';

/**
 * The part of `pg`'s connection this query writes protocol messages through,
 * as `pg-cursor` and `pg-query-stream` do.
 */
interface ProtocolConnection {
  readonly stream: { cork(): void; uncork(): void };
  close(message: { type: 'S'; name: string }): void;
  parse(message: { name: string; text: string; types: unknown[] }): void;
  bind(message: { statement: string; values: unknown[] }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(message: { rows: number }): void;
  sync(): void;
}

/** A DataRow or RowDescription as `pg` hands it to the active query. */
interface RowMessage {
  readonly fields: readonly (string | null)[] | readonly unknown[];
}

// invalid_sql_statement_name: an Execute or Bind of a statement that is not there.
const NO_SUCH_STATEMENT = '26000';

// A connection's named statements live exactly as long as it does. Shared by
// every store in the process: the names are per schema, not per store.
const parsedOn = new WeakMap<object, Set<string>>();

/**
 * The tenant-scoped read as one batch of extended-protocol messages and a
 * single Sync: Bind/Execute of `set_config('app.tenant_id', org, true)`, then
 * Bind/Describe/Execute of the prepared read, then Sync (each statement is
 * Closed and Parsed first, once per connection). PostgreSQL runs everything before a
 * Sync as one implicit transaction, so the setting is in force, in that order,
 * when row-level security filters the read's rows, and it ends at the Sync:
 * one round trip, plans made once per connection, and no pooled connection
 * ever carries the setting afterwards.
 *
 * A `pg` submittable (`client.query(query)` runs it when the connection is
 * free); {@link ScopedReadQuery.result} settles with the body's JSON text, or
 * `undefined` when the tenant has no row, or the server's error.
 */
export class ScopedReadQuery {
  /** Settles once the server answered the whole batch. */
  readonly result: Promise<string | undefined>;
  readonly #read: { readonly name: string; readonly text: string };
  readonly #values: readonly [orgId: string, agentId: string];
  #resolve!: (body: string | undefined) => void;
  #reject!: (error: unknown) => void;
  #described = false;
  #body: string | undefined;
  #error: unknown;
  #connection: object | undefined;

  /**
   * @param read - the read statement: `$1` org id, `$2` agent id → `body`.
   * @param values - the org and agent ids, canonical UUID text.
   */
  constructor(
    read: { readonly name: string; readonly text: string },
    values: readonly [orgId: string, agentId: string],
  ) {
    this.#read = read;
    this.#values = values;
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Called by `pg` when the connection is free: writes the whole batch. */
  submit(connection: ProtocolConnection): void {
    this.#connection = connection;
    // Corked, the batch leaves in one write (one segment, one server wakeup)
    // rather than one per message.
    connection.stream.cork();
    const parsed = parsedOn.get(connection);
    for (const statement of [SET_TENANT, this.#read]) {
      if (parsed?.has(statement.name) === true) continue;
      // Closing a statement that does not exist is no error, so a connection
      // whose state is unknown (a batch failed after a Parse) gets a clean one.
      connection.close({ type: 'S', name: statement.name });
      connection.parse({ ...statement, types: [] });
    }
    connection.bind({ statement: SET_TENANT.name, values: [this.#values[0]] });
    connection.execute({ rows: 0 });
    connection.bind({ statement: this.#read.name, values: [...this.#values] });
    connection.describe({ type: 'P', name: '' });
    connection.execute({ rows: 0 });
    connection.sync();
    connection.stream.uncork();
  }

  /** Only the read is described, so a description means its rows follow. */
  handleRowDescription(): void {
    this.#described = true;
  }

  handleDataRow(message: RowMessage): void {
    if (this.#described) this.#body = (message.fields[0] as string | null) ?? undefined;
  }

  handleCommandComplete(): void {}

  handleEmptyQuery(): void {}

  handlePortalSuspended(): void {}

  /** The server refused a message: it skips to the Sync, and `pg` stops routing to this query. */
  handleError(error: unknown): void {
    this.#error = error;
    this.#reject(error);
  }

  handleReadyForQuery(): void {
    if (this.#error !== undefined) return;
    if (this.#connection !== undefined) {
      const parsed = parsedOn.get(this.#connection) ?? new Set<string>();
      parsedOn.set(this.#connection, parsed.add(SET_TENANT.name).add(this.#read.name));
    }
    this.#resolve(this.#body);
  }

  /**
   * Whether `error` says a statement recorded as parsed on the connection is
   * not there (the session was reset, or a pooler moved the client to another
   * backend). The read is then worth one retry, after
   * {@link ScopedReadQuery.forget}.
   */
  static isStatementStateError(error: unknown): boolean {
    return (error as { code?: unknown } | null)?.code === NO_SUCH_STATEMENT;
  }

  /** Forgets what `client`'s connection was recorded to have parsed. */
  static forget(client: PoolClient): void {
    parsedOn.delete((client as unknown as { connection: object }).connection);
  }
}
