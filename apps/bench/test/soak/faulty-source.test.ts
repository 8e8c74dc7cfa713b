import { isStorageError } from '@aa/core';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/lib/prng.js';
import { type FaultProfile, FaultySource } from '../../src/soak/faulty-source.js';
import { KeySpace } from '../../src/soak/key-space.js';
import { Oracle } from '../../src/soak/oracle.js';
import { Violations } from '../../src/soak/violations.js';

const at = (overrides: Partial<FaultProfile>): FaultProfile => ({
  failureRate: 0,
  hangRate: 0,
  immediateRate: 1,
  latencyMs: () => 1,
  ...overrides,
});

function setup(faults: FaultProfile) {
  const keys = new KeySpace(10, new SeededRandom(1));
  const violations = new Violations();
  const oracle = new Oracle(
    keys,
    {
      ttlMs: 100,
      ttlJitter: 0,
      staleWindowMs: 0,
      notFoundTtlMs: 0,
      loadTimeoutMs: 100,
      waitSlackMs: 0,
      maxClockLagMs: 1_000,
    },
    violations,
  );
  const source = new FaultySource(keys, oracle, violations, new SeededRandom(2), faults);
  const id = (key: number) => keys.ids[key] as (typeof keys.ids)[number];
  return { keys, violations, source, id };
}

describe('FaultySource', () => {
  it('answers a known agent with its current version and an unknown one with NotFound', async () => {
    const { source, id, keys } = setup(at({}));
    keys.write(0);
    await expect(
      source.load(id(0), { signal: new AbortController().signal }),
    ).resolves.toMatchObject({
      version: 2,
      name: 'agent-0',
    });
    const error = await source
      .load(id(4), { signal: new AbortController().signal })
      .catch((e) => e);
    expect(isStorageError(error, 'NotFound')).toBe(true);
  });

  it('reads the version when it answers, not when it is called', async () => {
    const { source, id, keys } = setup(at({ immediateRate: 0, latencyMs: () => 5 }));
    const load = source.load(id(0), { signal: new AbortController().signal });
    keys.write(0);
    await expect(load).resolves.toMatchObject({ version: 2 });
  });

  it('fails with a Backend error at its failure rate', async () => {
    const { source, id } = setup(at({ failureRate: 1 }));
    const error = await source
      .load(id(0), { signal: new AbortController().signal })
      .catch((e) => e);
    expect(isStorageError(error, 'Backend')).toBe(true);
  });

  it('holds a hung load until its signal aborts, rejecting with the reason', async () => {
    const { source, id } = setup(at({ hangRate: 1 }));
    const controller = new AbortController();
    const load = source.load(id(0), { signal: controller.signal });
    expect(source.liveLoads).toBe(1);
    controller.abort('gone');
    await expect(load).rejects.toBe('gone');
    expect([source.liveLoads, source.hangs, source.aborts]).toEqual([0, 1, 1]);
  });

  it('answers hung loads, late, when they are released', async () => {
    const { source, id } = setup(at({ hangRate: 1 }));
    const load = source.load(id(0), { signal: new AbortController().signal });
    source.releaseHangs();
    await expect(load).resolves.toMatchObject({ version: 1 });
    expect(source.liveLoads).toBe(0);
  });

  it('reports a second load of a key while the first still owns it, not after an invalidation', () => {
    const { source, id, keys, violations } = setup(at({ hangRate: 1 }));
    const signal = new AbortController().signal;
    void source.load(id(0), { signal });
    void source.load(id(1), { signal });
    expect(violations.total).toBe(0);
    keys.invalidated(0);
    void source.load(id(0), { signal });
    expect(violations.total).toBe(0);
    void source.load(id(0), { signal });
    expect(violations.byKind()).toEqual([['concurrent-loads', 1]]);
    source.releaseHangs();
  });

  it('reports a load without an AbortSignal', async () => {
    const { source, id, violations } = setup(at({}));
    await source.load(id(0));
    expect(violations.byKind()).toEqual([['no-signal', 1]]);
  });
});
