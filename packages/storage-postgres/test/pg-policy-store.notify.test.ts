import {
  createAppPool,
  createPool,
  dropSchema,
  freshSchema,
  grantAppRole,
  PG_URL,
  postgresAvailable,
  waitUntil,
} from '@aa/test-infra';
import { samplePolicy } from '@aa/testing';
import type { Notification } from 'pg';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate, PgPolicyStore } from '../src/index.js';
import { freshAgentId } from './support/policy-tables.js';

const available = await postgresAvailable();

describe.runIf(available)('PgPolicyStore', () => {
  describe('putPolicy() and NOTIFY', () => {
    const schema = freshSchema('notify');
    let pool: pg.Pool;
    let appPool: pg.Pool;
    let store: PgPolicyStore;
    let listener: pg.Client;
    const heard: Notification[] = [];

    beforeAll(async () => {
      pool = createPool();
      await migrate(pool, { schema });
      await grantAppRole(pool, schema);
      appPool = createAppPool();
      store = new PgPolicyStore(appPool, { schema });
      listener = new pg.Client({ connectionString: PG_URL });
      await listener.connect();
      listener.on('notification', (message) => heard.push(message));
      await listener.query(`LISTEN ${pg.escapeIdentifier(store.channel)}`);
    });

    beforeEach(async () => {
      await pool.query(`DROP TRIGGER IF EXISTS at_commit ON ${schema}.policies`);
      heard.length = 0;
    });

    afterAll(async () => {
      await listener.end();
      await appPool.end();
      await dropSchema(pool, schema);
      await pool.end();
    });

    /** A fresh agent with its `agents` row, ready for a put. */
    async function registeredAgent() {
      const id = freshAgentId();
      await store.registerAgent(id);
      return id;
    }

    /** Runs `body` (plpgsql) in a trigger deferred to COMMIT of every insert. */
    async function atCommit(body: string): Promise<void> {
      await pool.query(`
        CREATE OR REPLACE FUNCTION ${schema}.at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN ${body}; RETURN NULL; END $$;
        CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON ${schema}.policies
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${schema}.at_commit();`);
    }

    it('notifies the store channel with the agent id once the write commits', async () => {
      const id = await registeredAgent();
      await store.putPolicy(id, samplePolicy(1));
      await waitUntil(() => heard.length === 1, 'the notification');
      expect(heard[0]).toMatchObject({ channel: `aa_policies.${schema}`, payload: id });
    });

    it('is heard only once the write is visible: a listener reading at once gets the new version', async () => {
      const id = await registeredAgent();
      await store.putPolicy(id, samplePolicy(1));
      await waitUntil(() => heard.length === 1, 'the first notification');
      // The commit now takes 300 ms, between the insert (and the queued NOTIFY)
      // and the moment the row becomes visible.
      await atCommit('PERFORM pg_sleep(0.3)');
      const readOnHearing = new Promise<number>((resolve, reject) => {
        listener.once('notification', () => {
          store.getPolicy(id).then((policy) => resolve(policy.version), reject);
        });
      });
      const put = store.putPolicy(id, samplePolicy(2));
      await expect(readOnHearing).resolves.toBe(2);
      await expect(put).resolves.toBe(2);
    });

    it('sends nothing for a write that rolls back', async () => {
      const id = await registeredAgent();
      await atCommit(`RAISE EXCEPTION 'refused at commit'`);
      const error = await store.putPolicy(id, samplePolicy(1)).catch((caught: unknown) => caught);
      expect(error).toMatchObject({
        kind: 'Backend',
        cause: expect.objectContaining({ message: 'refused at commit' }),
      });
      // A notification for a committed write arrives within milliseconds; give
      // a wrong one ten times that, then prove the channel still works.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(heard).toEqual([]);
      await expect(store.getPolicy(id)).rejects.toMatchObject({ kind: 'NotFound' });
      await pool.query(`DROP TRIGGER at_commit ON ${schema}.policies`);
      await store.putPolicy(id, samplePolicy(1));
      await waitUntil(() => heard.length === 1, 'the notification of the next write');
      expect(heard[0]?.payload).toBe(id);
    });

    it('notifies an explicit channel when one is given', async () => {
      const channel = `custom.${schema}`;
      const custom = new PgPolicyStore(appPool, { schema, channel });
      const other = new pg.Client({ connectionString: PG_URL });
      await other.connect();
      try {
        const received = new Promise<Notification>((resolve) =>
          other.once('notification', resolve),
        );
        await other.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
        const id = await registeredAgent();
        await custom.putPolicy(id, samplePolicy(1));
        await expect(received).resolves.toMatchObject({ channel, payload: id });
        expect(heard).toEqual([]);
      } finally {
        await other.end();
      }
    });
  });
});
