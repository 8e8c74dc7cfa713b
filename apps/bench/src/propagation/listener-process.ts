import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromListener, ListenerEnv, ToListener } from './protocol.js';

const LISTENER = fileURLToPath(new URL('./listener.ts', import.meta.url));
const BENCH_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The parent's handle on a listener process: sends it requests and awaits its
 * messages. The child runs the TypeScript sources through tsx, as the bench does.
 */
export class ListenerProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly #inbox: FromListener[] = [];
  #wake: (() => void) | undefined;

  constructor(env: ListenerEnv) {
    this.#child = fork(LISTENER, [], {
      cwd: BENCH_ROOT,
      // Explicit, rather than inherited from a parent that may run under tsx's CLI.
      execArgv: ['--conditions=@aa/source', '--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.on('message', (message: FromListener) => {
      this.#inbox.push(message);
      this.#wake?.();
    });
  }

  /** Sends `message` to the listener. */
  send(message: ToListener): void {
    this.#child.send(message);
  }

  /**
   * The first unread message matching `accept`, or `undefined` after
   * `timeoutMs`. Unread messages before it are dropped; `error` and `failed`
   * messages are kept in {@link problems} instead.
   */
  async next<T extends FromListener>(
    accept: (message: FromListener) => message is T,
    timeoutMs: number,
  ): Promise<T | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      while (this.#inbox.length > 0) {
        const message = this.#inbox.shift() as FromListener;
        if (accept(message)) return message;
        if (message.type === 'error' || message.type === 'failed')
          this.problems.push(message.message);
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, remaining);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wake = done;
      });
      this.#wake = undefined;
    }
  }

  /** What the listener reported going wrong (`error`, `failed`), oldest first. */
  readonly problems: string[] = [];

  /** Asks the listener to close everything; resolves with its exit code (it exits on its own). */
  async close(timeoutMs = 5_000): Promise<number | null> {
    if (this.#child.exitCode !== null) return this.#child.exitCode;
    this.send({ type: 'close' });
    const timer = setTimeout(() => this.#child.kill(), timeoutMs);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the listener if it is still running. */
  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill();
  }
}
