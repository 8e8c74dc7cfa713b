import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { MachineInfo } from './machine.js';
import { medianMetric } from './results.js';
import type { Metrics } from './workloads/case-params.js';

/** The part of `bench:compare`'s JSON the charts read. */
export interface CompareJson {
  readonly date: string;
  readonly machine: MachineInfo;
  readonly peers: Readonly<Record<string, { readonly version?: string }>>;
  readonly workloads: readonly {
    readonly id: string;
    readonly title: string;
    readonly cases: readonly {
      readonly label: string;
      readonly peers: readonly {
        readonly peer: string;
        readonly reps: readonly (Record<string, number | null> | null)[];
        readonly errors: readonly string[];
      }[];
      readonly references?: readonly {
        readonly label: string;
        readonly metrics: Readonly<Record<string, number | null>>;
      }[];
    }[];
  }[];
}

/** One chart: its file name and the SVG. */
export interface Chart {
  readonly file: string;
  readonly title: string;
  readonly svg: string;
}

interface Bar {
  readonly peer: string;
  readonly series: string;
  readonly value: number;
}

/**
 * Renders the charts of a `bench:compare` run, with vega-lite (compiled to a
 * vega spec, rendered headless to SVG): hit ns/op per peer, the burst's loads
 * and wall time beyond its load, memory overhead per entry, and the hit ratio
 * under the Zipf and scan workloads (with the optimal and ideal-LRU
 * references). Charts whose workload the run did not include are left out.
 */
export async function renderCharts(results: CompareJson): Promise<Chart[]> {
  const label = (peer: string) => {
    const version = results.peers[peer]?.version;
    return version === undefined || !/^\d/.test(version) ? peer : `${peer} ${version}`;
  };
  const charts: { file: string; title: string; unit: string; bars: Bar[]; log?: boolean }[] = [];
  const caseOf = (id: string) => results.workloads.find((workload) => workload.id === id)?.cases;
  const medians = (
    id: string,
    metric: string,
    series: string,
    pick: 'first' | 'last' = 'first',
  ) => {
    const cases = caseOf(id);
    const chosen = pick === 'first' ? cases?.[0] : cases?.at(-1);
    if (chosen === undefined) return [];
    return chosen.peers.map((peer) => ({
      peer: label(peer.peer),
      series,
      value: medianMetric({ reps: peer.reps.map(fromJson) }, metric),
    }));
  };
  const hit = medians('hit', 'nsPerOp', 'warm hit');
  if (hit.length > 0) {
    // The peers span three orders of magnitude.
    const unit = 'ns per op (log scale)';
    charts.push({ file: 'hit.svg', title: 'Warm hit', unit, bars: hit, log: true });
  }
  const burst = medians('burst', 'loads', 'loads', 'last');
  if (burst.length > 0) {
    charts.push({
      file: 'burst-loads.svg',
      title: 'Cold-key burst: loads',
      unit: 'loads',
      bars: burst,
    });
    charts.push({
      file: 'burst-extra.svg',
      title: 'Cold-key burst: wall time beyond the load',
      unit: 'ms',
      bars: medians('burst', 'extraMs', 'beyond the load', 'last'),
    });
  }
  const memory = medians('memory', 'overheadPerEntry', 'overhead');
  if (memory.length > 0) {
    charts.push({
      file: 'memory.svg',
      title: 'Memory beyond key and value',
      unit: 'bytes per entry',
      bars: memory,
    });
  }
  const ratios = [
    ...medians('zipf', 'hotHitRatio', 'Zipf'),
    ...medians('scan', 'hotHitRatio', 'scan mix (hot keys)'),
  ];
  for (const [id, series] of [
    ['zipf', 'Zipf'],
    ['scan', 'scan mix (hot keys)'],
  ] as const) {
    for (const reference of caseOf(id)?.[0]?.references ?? []) {
      const { hotHitRatio } = reference.metrics;
      if (typeof hotHitRatio === 'number')
        ratios.push({ peer: reference.label, series, value: hotHitRatio });
    }
  }
  if (ratios.length > 0)
    charts.push({ file: 'hit-ratio.svg', title: 'Hit ratio', unit: 'hit ratio', bars: ratios });

  const rendered: Chart[] = [];
  for (const chart of charts) {
    const bars = chart.bars.filter((bar) => Number.isFinite(bar.value));
    rendered.push({
      file: chart.file,
      title: chart.title,
      svg: await toSvg(barSpec(chart.title, chart.unit, bars, results, chart.log === true)),
    });
  }
  return rendered;
}

/**
 * A repetition's figures as `bench:compare` measured them: the JSON writes a
 * figure that could not be measured (`NaN`) as `null`, and a failed
 * repetition as `null`; read back, they are `NaN` and `undefined` again, which
 * {@link medianMetric} skips (a `null` would count as 0).
 */
function fromJson(rep: Readonly<Record<string, number | null>> | null): Metrics | undefined {
  if (rep === null) return undefined;
  return Object.fromEntries(
    Object.entries(rep).map(([name, value]) => [name, value ?? Number.NaN]),
  );
}

function barSpec(
  title: string,
  unit: string,
  bars: readonly Bar[],
  results: CompareJson,
  log: boolean,
): TopLevelSpec {
  const grouped = new Set(bars.map((bar) => bar.series)).size > 1;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: subtitle(results) },
    width: 420,
    data: { values: bars.map((bar) => ({ ...bar })) },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'peer', type: 'nominal', title: null, sort: null, axis: { labelLimit: 240 } },
      x: {
        field: 'value',
        type: 'quantitative',
        title: unit,
        ...(log ? { scale: { type: 'log' as const } } : {}),
      },
      // A bar on a log scale needs a start above zero.
      ...(log ? { x2: { datum: 1 } } : {}),
      ...(grouped
        ? { yOffset: { field: 'series' }, color: { field: 'series', type: 'nominal', title: null } }
        : {}),
    },
    config: { font: 'sans-serif', background: 'white' },
  };
}

function subtitle({ machine, date }: CompareJson): string {
  return (
    `pnpm bench:compare, ${date.slice(0, 10)}: Node ${machine.node}, ${machine.platform}, ` +
    `${machine.cores} × ${machine.cpuModel}, load ${machine.loadAverage[0] ?? '?'} at the start`
  );
}

async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
