import { postgresAvailable } from '@aa/test-infra';
import {
  describePolicyStoreConformance,
  describeTenantPolicyStoreConformance,
} from '@aa/testing/conformance';
import { describe } from 'vitest';
import { insertRow, migratedStore } from './support/policy-tables.js';

const available = await postgresAvailable();

describe.runIf(available)('PgPolicyStore (PostgreSQL, as an unprivileged role)', () => {
  const db = migratedStore('conformance');

  describePolicyStoreConformance('PgPolicyStore', () => ({
    store: db.store,
    seed: (id, policy) => insertRow(db.pool, db.schema, id, policy),
  }));

  describeTenantPolicyStoreConformance('PgPolicyStore', () => ({
    store: db.store,
    seed: (orgId, id, policy) => insertRow(db.pool, db.schema, id, policy, policy.version, orgId),
  }));
});
