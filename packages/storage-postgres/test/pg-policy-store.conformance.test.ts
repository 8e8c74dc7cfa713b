import { describePolicyStoreConformance } from '@aa/testing/conformance';
import type pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { migrate, PgPolicyStore } from '../src/index.js';
import {
  createPool,
  dropSchema,
  freshSchema,
  insertRow,
  postgresAvailable,
} from './support/postgres.js';

const available = await postgresAvailable();

describe.runIf(available)('PgPolicyStore (PostgreSQL)', () => {
  const schema = freshSchema('conformance');
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = createPool();
    await migrate(pool, { schema });
  });

  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  describePolicyStoreConformance('PgPolicyStore', () => ({
    store: new PgPolicyStore(pool, { schema }),
    seed: (id, policy) => insertRow(pool, schema, id, policy),
  }));
});
