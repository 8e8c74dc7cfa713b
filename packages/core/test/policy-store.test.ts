import { describe, expect, it } from 'vitest';
import {
  AgentId,
  asCacheSource,
  type LoadOptions,
  type PolicyDocument,
  type PolicyStore,
} from '../src/index.js';

describe('asCacheSource()', () => {
  it('loads through getPolicy, passing the key and the load options on', async () => {
    const policy: PolicyDocument = {
      version: 1,
      name: 'p',
      rules: [],
      enforcement_mode: 'enforce',
    };
    const calls: Array<[AgentId, LoadOptions | undefined]> = [];
    const store: PolicyStore = {
      getPolicy: async (id, options) => {
        calls.push([id, options]);
        return policy;
      },
      invalidate: async () => {},
    };
    const id = AgentId.fromBytes(new Uint8Array(16));
    const options = { signal: new AbortController().signal };

    await expect(asCacheSource(store).load(id, options)).resolves.toBe(policy);
    expect(calls).toEqual([[id, options]]);
  });
});
