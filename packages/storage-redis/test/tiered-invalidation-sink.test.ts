import { randomUUID } from 'node:crypto';
import { AgentId, type InvalidationSink } from '@aa/core';
import { describe, expect, it } from 'vitest';
import { tieredInvalidationSink } from '../src/index.js';

const AGENT = AgentId.parse(randomUUID());

function recorder() {
  const calls: string[] = [];
  const local: InvalidationSink<AgentId> = {
    invalidate: (id) => calls.push(`L1 invalidate ${id}`),
    clear: () => calls.push('L1 clear'),
  };
  const l2 = {
    invalidate: async (id: AgentId) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      calls.push(`L2 invalidate ${id}`);
    },
  };
  return { calls, local, l2 };
}

describe('tieredInvalidationSink()', () => {
  it('invalidates the L2 before the L1, so the L1 cannot reload what the L2 still held', async () => {
    const { calls, local, l2 } = recorder();
    await tieredInvalidationSink(l2, local).invalidate(AGENT);
    expect(calls).toEqual([`L2 invalidate ${AGENT}`, `L1 invalidate ${AGENT}`]);
  });

  it('clears only the L1: a reconnecting instance must not empty the fleet’s L2', async () => {
    const { calls, local, l2 } = recorder();
    await tieredInvalidationSink(l2, local).clear();
    expect(calls).toEqual(['L1 clear']);
  });

  it('still invalidates the L1 when the L2 fails, reports both failures and never rejects', async () => {
    const errors: unknown[] = [];
    const sink = tieredInvalidationSink(
      { invalidate: async () => Promise.reject(new Error('L2 down')) },
      {
        invalidate: () => {
          throw new Error('L1 broke');
        },
        clear: () => {},
      },
      (error) => errors.push((error as Error).message),
    );
    await expect(sink.invalidate(AGENT)).resolves.toBeUndefined();
    expect(errors).toEqual(['L2 down', 'L1 broke']);
  });
});
