import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../fixtures/instance-process.ts', import.meta.url));
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A message from the child. */
export interface ChildMessage {
  readonly type: string;
  /** `invalidated`: the agent. */
  readonly id?: string;
  /** `invalidated`, `cleared`: when it was applied, wall-clock milliseconds. */
  readonly at?: number;
  /** `got`: the policy version served. */
  readonly version?: number;
  /** `got`: the cache's stats. */
  readonly stats?: unknown;
  /** `failed`, `error`: what went wrong. */
  readonly message?: string;
}

/**
 * The runtime instance of `fixtures/instance-process.ts` in a child process,
 * with its messages awaited one type at a time.
 */
export class ChildInstance {
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly #queue: ChildMessage[] = [];
  readonly #waiters = new Set<() => void>();

  /** Starts the child with `env` added to this process's environment. */
  constructor(env: Record<string, string>) {
    this.#child = fork(FIXTURE, [], {
      cwd: PACKAGE_ROOT,
      execArgv: ['--conditions=@aa/source', '--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.on('message', (message: ChildMessage) => {
      this.#queue.push(message);
      for (const wake of this.#waiters) wake();
    });
  }

  /** Sends `message` to the child. */
  send(message: Record<string, unknown>): void {
    this.#child.send(message);
  }

  /** Asks the child for `id`'s policy; resolves with its `got` (or `failed`) answer. */
  async get(id: string): Promise<ChildMessage> {
    this.send({ type: 'get', id });
    const answer = await this.next(['got', 'failed']);
    if (answer.type === 'failed')
      throw new Error(`the child failed a get: ${String(answer.message)}`);
    return answer;
  }

  /** The first unread message of one of `types`; unread messages of other types before it are dropped. */
  async next(types: string | readonly string[], timeoutMs = 5_000): Promise<ChildMessage> {
    const wanted = typeof types === 'string' ? [types] : types;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.#queue.findIndex((message) => wanted.includes(message.type));
      if (index !== -1) return this.#queue.splice(0, index + 1).at(-1) as ChildMessage;
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

  /** Asks the child to close everything and resolves with its exit code. */
  async close(): Promise<number | null> {
    this.send({ type: 'close' });
    return this.#exited;
  }

  /** Kills the child if it is still running. */
  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill();
  }
}
