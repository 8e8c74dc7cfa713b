import { describe, expect, it } from 'vitest';
import { medianMetric, medianPaired, type PeerResult } from '../../src/compare/results.js';
import { decodeResult, encodeResult } from '../../src/compare/worker-protocol.js';
import { expiryWaitMs } from '../../src/compare/workloads/catalog.js';

describe('medianPaired()', () => {
  it('divides or subtracts within each repetition, then takes the median, skipping failed ones', () => {
    const baseline: PeerResult = {
      peer: 'map',
      reps: [{ ns: 10 }, { ns: 20 }, { ns: 40 }, undefined],
      errors: [],
    };
    const peer: PeerResult = {
      peer: 'aa-cache',
      reps: [{ ns: 12 }, { ns: 30 }, undefined, { ns: 1 }],
      errors: ['timed out'],
    };
    expect(medianPaired(peer, baseline, 'ns', 'ratio')).toBeCloseTo(1.35);
    expect(medianPaired(peer, baseline, 'ns', 'difference')).toBeCloseTo(6);
    expect(medianMetric(peer, 'ns')).toBe(12);
    expect(medianMetric(peer, 'missing')).toBeNaN();
  });
});

describe('worker results', () => {
  it('round-trip through the marked stdout line, NaN included', () => {
    const stdout = `a peer's warning\n${encodeResult({ loads: 1, held: Number.NaN })}`;
    expect(decodeResult(stdout)).toEqual({ loads: 1, held: Number.NaN });
  });

  it('are an error when the worker printed none', () => {
    expect(() => decodeResult('crashed\n')).toThrow('the worker printed no result line');
  });
});

describe('expiryWaitMs()', () => {
  it('waits past the TTL a peer can express and its clock, at least 50 ms', () => {
    expect(expiryWaitMs(10, 1)).toBe(50);
    expect(expiryWaitMs(10, 1_000)).toBe(3_000);
    expect(expiryWaitMs(100, 1)).toBe(201);
  });
});
