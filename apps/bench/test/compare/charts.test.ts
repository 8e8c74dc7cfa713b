import { describe, expect, it } from 'vitest';
import { type CompareJson, renderCharts } from '../../src/compare/charts.js';

type Reps = CompareJson['workloads'][number]['cases'][number]['peers'][number]['reps'];

/** A run of the memory workload alone, one case, with each peer's repetitions. */
function memoryRun(peers: Readonly<Record<string, Reps>>): CompareJson {
  return {
    date: '2026-01-01T00:00:00.000Z',
    machine: { node: 'v20', platform: 'linux/x64', cpuModel: 'CPU', cores: 1, loadAverage: [0] },
    peers: {},
    workloads: [
      {
        id: 'memory',
        title: 'Memory',
        cases: [
          {
            label: 'one case',
            peers: Object.entries(peers).map(([peer, reps]) => ({ peer, reps, errors: [] })),
          },
        ],
      },
    ],
  };
}

describe('renderCharts()', () => {
  it('reads a figure the JSON has as null (not measurable) as missing, never as 0', async () => {
    const [memory] = await renderCharts(
      memoryRun({
        measured: [{ overheadPerEntry: 40 }],
        unmeasured: [{ overheadPerEntry: null }, null],
        partly: [{ overheadPerEntry: 10 }, { overheadPerEntry: null }, { overheadPerEntry: 30 }],
      }),
    );
    expect(memory?.file).toBe('memory.svg');
    expect(memory?.svg).toContain('aria-label="bytes per entry: 40; peer: measured"');
    // The median of the two measured repetitions, not of 10, 0 and 30.
    expect(memory?.svg).toContain('aria-label="bytes per entry: 20; peer: partly"');
    expect(memory?.svg).not.toContain('peer: unmeasured');
  });
});
