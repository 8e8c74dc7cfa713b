import { APP_URL, ChildInstance, postgresAvailable } from '@aa/test-infra';
import { samplePolicy } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import { freshAgentId, migratedStore } from './support/policy-tables.js';

const available = await postgresAvailable();

describe.runIf(available)('two processes over one PostgreSQL store', () => {
  const db = migratedStore('twoproc');

  it("after a putPolicy here, the other process's next get returns the new version", async () => {
    const child = new ChildInstance({
      script: new URL('./fixtures/instance-process.ts', import.meta.url),
      cwd: new URL('..', import.meta.url),
      env: { AA_PG_URL: APP_URL, AA_TEST_SCHEMA: db.schema },
    });
    try {
      await child.next('ready', 10_000);
      const id = freshAgentId();
      await db.store.registerAgent(id);
      await db.store.putPolicy(id, samplePolicy(1));
      await child.next('invalidated');

      expect(await child.ask({ type: 'get', id }, 'got')).toMatchObject({ version: 1 });
      expect(await child.ask({ type: 'get', id }, 'got')).toMatchObject({
        version: 1,
        stats: expect.objectContaining({ loads: 1, hits: 1 }),
      });

      const putAt = performance.timeOrigin + performance.now();
      await expect(db.store.putPolicy(id, samplePolicy(2))).resolves.toBe(2);
      const committedAt = performance.timeOrigin + performance.now();
      const invalidated = await child.next('invalidated');
      expect(invalidated).toMatchObject({ id });
      expect(await child.ask({ type: 'get', id }, 'got')).toMatchObject({
        version: 2,
        stats: expect.objectContaining({ loads: 2 }),
      });
      const appliedAt = invalidated.at ?? Number.NaN;
      console.info(
        `[two processes] invalidation applied in the other process ${(appliedAt - putAt).toFixed(1)} ms after putPolicy() started, ${(appliedAt - committedAt).toFixed(1)} ms after it resolved`,
      );

      // The child exits on its own: its subscriber, cache and db.pool let go of everything.
      await expect(child.close()).resolves.toBe(0);
    } finally {
      child.kill();
    }
  }, 20_000);
});
