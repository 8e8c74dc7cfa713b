import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withDeadline } from './polling.js';

/**
 * A message from a child: its `type`, and the fields the fixtures of this
 * repository send (`ready`, `invalidated`, `cleared`, `got`, `read`,
 * `loaded`, `failed`, `error`).
 */
export interface ChildMessage {
  readonly type: string;
  /** `invalidated`: the agent. */
  readonly id?: string;
  /** `invalidated`, `cleared`: when it was applied, wall-clock milliseconds. */
  readonly at?: number;
  /** `got`, `read`, `loaded`: the policy version served. */
  readonly version?: number;
  /** `got`, `loaded`: the stats of the child's cache or source. */
  readonly stats?: unknown;
  /** `failed`, `error`: what went wrong. */
  readonly message?: string;
  /** `ready`: a process id the child wants known (its database backend, say). */
  readonly pid?: number;
  /** `ready`: the port a server child listens on. */
  readonly port?: number;
}

/** How a child exited: its exit code, or the signal that ended it. */
interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Settings of a {@link ChildInstance}. */
export interface ChildInstanceOptions {
  /** The TypeScript module to run, as a file URL (`new URL('./fixtures/x.ts', import.meta.url)`). */
  readonly script: URL;
  /** The working directory: the package the script belongs to, so its imports resolve. */
  readonly cwd: URL;
  /** Added to this process's environment. @default {} */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * A fixture module run in a child process (through `tsx`, against sources
 * under the `@aa/source` condition) and its mailbox: the messages it sends
 * are queued and awaited one type at a time, every wait with a deadline.
 *
 * A `failed` message the caller did not ask for fails the wait at once, and
 * so does the child's exit: neither is left to surface as a timeout.
 *
 * @example
 * const child = new ChildInstance({
 *   script: new URL('./fixtures/instance-process.ts', import.meta.url),
 *   cwd: new URL('..', import.meta.url),
 *   env: { AA_TEST_SCHEMA: schema },
 * });
 * await child.next('ready', 30_000);
 * expect(await child.ask({ type: 'get', id }, 'got')).toMatchObject({ version: 1 });
 * await expect(child.close()).resolves.toBe(0);
 */
export class ChildInstance {
  readonly #child: ChildProcess;
  /** Resolves with how the child exited, once it has. */
  readonly #exited: Promise<ChildExit>;
  readonly #queue: ChildMessage[] = [];
  readonly #waiters = new Set<() => void>();
  /** How the child exited; `undefined` while it runs. */
  #exit: ChildExit | undefined;

  /** Starts the child. */
  constructor(options: ChildInstanceOptions) {
    this.#child = fork(fileURLToPath(options.script), [], {
      cwd: fileURLToPath(options.cwd),
      execArgv: ['--conditions=@aa/source', '--import', 'tsx'],
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        this.#wake();
        resolve(this.#exit);
      });
    });
    this.#child.on('message', (message: ChildMessage) => {
      this.#queue.push(message);
      this.#wake();
    });
  }

  /** Sends `message` to the child. */
  send(message: Readonly<Record<string, unknown>>): void {
    this.#child.send(message);
  }

  /**
   * Sends `message` and resolves with the child's answer of type `reply`.
   * @throws when the child answers `failed` instead, exits, or does not answer within `timeoutMs`.
   */
  ask(
    message: Readonly<Record<string, unknown>>,
    reply: string,
    timeoutMs = 5_000,
  ): Promise<ChildMessage> {
    this.send(message);
    return this.next(reply, timeoutMs);
  }

  /**
   * The first unread message of one of `types` that `matches`; unread
   * messages before it are dropped, whatever their type.
   * @param timeoutMs - how long to wait for it. @default 5_000
   * @param matches - which message of those types is awaited, e.g. the
   *   invalidation of one id while others may still be unread. @default any
   * @throws when none comes within `timeoutMs`, when the child exits first,
   *   or when an unread `failed` message comes first (unless `failed` is one
   *   of `types`).
   */
  async next(
    types: string | readonly string[],
    timeoutMs = 5_000,
    matches: (message: ChildMessage) => boolean = () => true,
  ): Promise<ChildMessage> {
    const wanted = typeof types === 'string' ? [types] : types;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.#queue.findIndex((message) =>
        wanted.includes(message.type) ? matches(message) : message.type === 'failed',
      );
      if (index !== -1) {
        const message = this.#queue.splice(0, index + 1).at(-1) as ChildMessage;
        if (wanted.includes(message.type)) return message;
        throw new Error(
          `the child failed while ${wanted.join('/')} was awaited: ${String(message.message)}`,
        );
      }
      if (this.#exit !== undefined) {
        throw new Error(
          `the child exited (code ${this.#exit.code}, signal ${this.#exit.signal}) before a ${wanted.join('/')} message`,
        );
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        throw new Error(`no ${wanted.join('/')} message from the child within ${timeoutMs} ms`);
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, remaining);
        this.#waiters.add(done);
      });
    }
  }

  /** Whether a message of `type` is waiting, unread. */
  has(type: string): boolean {
    return this.#queue.some((message) => message.type === type);
  }

  /**
   * Asks the child to close everything (`{ type: 'close' }`) and resolves with
   * its exit code: a child that lets go of every socket and timer exits on
   * its own.
   * @throws when it has not exited within `timeoutMs` (it is killed then).
   */
  async close(timeoutMs = 10_000): Promise<number | null> {
    if (this.#exit === undefined) this.send({ type: 'close' });
    try {
      return (await withDeadline(this.#exited, timeoutMs, 'the child to exit after close')).code;
    } catch (error) {
      this.kill();
      throw error;
    }
  }

  /**
   * Kills the child if it is still running; see {@link exited} to wait for it.
   * @param signal - `'SIGTERM'` unless given; `'SIGKILL'` for a crash, when
   *   none of the child's own code runs.
   */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.#exit === undefined) this.#child.kill(signal);
  }

  /**
   * Resolves once the child has exited (at once if it has), with how.
   * @throws when it has not exited within `timeoutMs`.
   */
  exited(
    timeoutMs = 10_000,
  ): Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }> {
    return withDeadline(this.#exited, timeoutMs, 'the child to exit');
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
  }
}
