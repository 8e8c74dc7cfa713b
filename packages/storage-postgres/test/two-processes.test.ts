import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { samplePolicy } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import { APP_URL, freshAgentId, migratedStore, postgresAvailable } from './support/postgres.js';

const available = await postgresAvailable();
const FIXTURE = fileURLToPath(new URL('./fixtures/instance-process.ts', import.meta.url));
const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What the child sends (see fixtures/instance-process.ts). */
interface ChildMessage {
  readonly type: string;
  readonly id?: string;
  readonly at?: number;
  readonly version?: number;
  readonly stats?: unknown;
  readonly message?: string;
}

/** The messages of a child process, awaited one type at a time. */
class Mailbox {
  readonly #queue: ChildMessage[] = [];
  readonly #waiters = new Set<() => void>();

  constructor(child: ChildProcess) {
    child.on('message', (message: ChildMessage) => {
      this.#queue.push(message);
      for (const wake of this.#waiters) wake();
    });
  }

  /** The first unread message of `type` (earlier messages of other types are skipped). */
  async next(type: string, timeoutMs = 5_000): Promise<ChildMessage> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.#queue.findIndex((message) => message.type === type);
      if (index !== -1) return this.#queue.splice(0, index + 1).at(-1) as ChildMessage;
      const remaining = deadline - performance.now();
      if (remaining <= 0)
        throw new Error(`no "${type}" message from the child within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, remaining);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#waiters.add(done);
      }).finally(() => this.#waiters.clear());
    }
  }
}

describe.runIf(available)('two processes over one PostgreSQL store', () => {
  const db = migratedStore('twoproc');

  it("after a putPolicy here, the other process's next get returns the new version", async () => {
    const child = fork(FIXTURE, [], {
      cwd: PACKAGE_ROOT,
      execArgv: ['--conditions=@aa/source', '--import', 'tsx'],
      env: { ...process.env, AA_PG_URL: APP_URL, AA_TEST_SCHEMA: db.schema },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const mailbox = new Mailbox(child);
      await mailbox.next('ready', 10_000);
      const id = freshAgentId();
      await db.store.registerAgent(id);
      await db.store.putPolicy(id, samplePolicy(1));
      await mailbox.next('invalidated');

      child.send({ type: 'get', id });
      expect(await mailbox.next('got')).toMatchObject({ version: 1 });
      child.send({ type: 'get', id });
      expect(await mailbox.next('got')).toMatchObject({
        version: 1,
        stats: expect.objectContaining({ loads: 1, hits: 1 }),
      });

      const putAt = performance.timeOrigin + performance.now();
      await expect(db.store.putPolicy(id, samplePolicy(2))).resolves.toBe(2);
      const committedAt = performance.timeOrigin + performance.now();
      const invalidated = await mailbox.next('invalidated');
      expect(invalidated).toMatchObject({ id });
      child.send({ type: 'get', id });
      expect(await mailbox.next('got')).toMatchObject({
        version: 2,
        stats: expect.objectContaining({ loads: 2 }),
      });
      const appliedAt = invalidated.at ?? Number.NaN;
      console.info(
        `[two processes] invalidation applied in the other process ${(appliedAt - putAt).toFixed(1)} ms after putPolicy() started, ${(appliedAt - committedAt).toFixed(1)} ms after it resolved`,
      );

      child.send({ type: 'close' });
      // The child exits on its own: its subscriber, cache and db.pool let go of everything.
      await expect(exited).resolves.toBe(0);
    } finally {
      if (child.exitCode === null) child.kill();
    }
  }, 20_000);
});
