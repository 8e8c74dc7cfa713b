import {
  describePolicyStoreConformance,
  describeTenantPolicyStoreConformance,
} from '../src/conformance.js';
import { MemoryPolicyStore } from '../src/index.js';

describePolicyStoreConformance('MemoryPolicyStore', () => {
  const store = new MemoryPolicyStore();
  return {
    store,
    seed: (id, policy) => {
      store.insert(id, policy);
    },
  };
});

describeTenantPolicyStoreConformance('MemoryPolicyStore', () => {
  const store = new MemoryPolicyStore();
  return {
    store,
    seed: (orgId, id, policy) => {
      store.insert(id, policy, { orgId });
    },
  };
});
