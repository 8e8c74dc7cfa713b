import { ZipfSampler } from '../../lib/zipf.js';
import { scanMixStream, zipfStream } from '../access-streams.js';
import {
  formatBytes,
  formatCount,
  formatHitRatio,
  formatMiB,
  formatRatio,
  formatTime,
  formatTimeDifference,
} from '../format.js';
import { replayLru } from '../lru-simulator.js';
import type { PeerId, PeerInfo } from '../peers/catalog.js';
import type { Pairing } from '../results.js';
import type { CompareSettings } from '../settings.js';
import type { CaseParams, Metrics, WorkloadId } from './case-params.js';

/** One column of a workload's table. */
export interface Column {
  readonly header: string;
  /** The metric shown: its median over the repetitions. */
  readonly metric: string;
  readonly format: (value: number) => string;
  /**
   * Show instead the median over repetitions of this peer's metric set against
   * `against.peer`'s in the same repetition: divided by it, or less it.
   */
  readonly against?: { readonly peer: PeerId; readonly by: Pairing };
}

/** A row computed rather than measured, such as the optimal static hit ratio. */
export interface ReferenceRow {
  readonly label: string;
  readonly metrics: Metrics;
}

/** A workload as the parent process plans, runs and reports it. */
export interface WorkloadDefinition {
  readonly id: WorkloadId;
  readonly title: string;
  /** How it is measured, printed under the table. */
  readonly method: string;
  /**
   * Whether its figures are times, which a busy CPU skews: such workloads run
   * `timedJobs` workers at a time (one for real figures), the others `untimedJobs`.
   */
  readonly timed: boolean;
  appliesTo(peer: PeerInfo): boolean;
  cases(settings: CompareSettings): readonly CaseParams[];
  /** The case as one peer's worker runs it, where that differs by peer. */
  forPeer?(params: CaseParams, peer: PeerInfo): CaseParams;
  reps(settings: CompareSettings): number;
  /** A case's label in the first column, for workloads with several cases. */
  caseLabel?(params: CaseParams): string;
  readonly columns: readonly Column[];
  references?(params: CaseParams): readonly ReferenceRow[];
}

const always = () => true;
const nsPerOp: Column = { header: 'ns/op', metric: 'nsPerOp', format: formatTime };
const loads: Column = { header: 'loads', metric: 'loads', format: formatCount };
/** `metric` as a ratio to `peer`'s in the same repetition. */
function ratioColumn(header: string, metric: string, peer: PeerId): Column {
  return { header, metric, format: formatRatio, against: { peer, by: 'ratio' } };
}
const hitColumns: readonly Column[] = [
  nsPerOp,
  ratioColumn('× Map', 'nsPerOp', 'map'),
  ratioColumn('× lru-cache', 'nsPerOp', 'lru-cache'),
];
const burstColumns: readonly Column[] = [
  loads,
  { header: 'wall ms', metric: 'wallMs', format: formatTime },
  { header: 'beyond load ms', metric: 'extraMs', format: formatTime },
  {
    header: 'beyond load − lru-cache ms',
    metric: 'extraMs',
    format: formatTimeDifference,
    against: { peer: 'lru-cache', by: 'difference' },
  },
  { header: 'tail after load ms', metric: 'tailMs', format: formatTime },
  { header: 'caller p99 ms', metric: 'p99Ms', format: formatTime },
  { header: 'errors', metric: 'errors', format: formatCount },
];

/**
 * How long the expiry workload waits after its last load: past the TTL as
 * the peer can express it, plus its clock's granularity, and at least 50 ms.
 */
export function expiryWaitMs(ttlMs: number, resolutionMs: number): number {
  return Math.max(50, 2 * Math.max(ttlMs, resolutionMs) + resolutionMs);
}

/** Every workload, in report order. */
export const WORKLOADS: readonly WorkloadDefinition[] = [
  {
    id: 'hit',
    title: 'Warm hit, one key: `await cache.get(key)`',
    method:
      'One warm key read with `await cache.get(key)` in a monomorphic loop; one untimed warm-up ' +
      'batch, then the median of the timed batches per process. Ratios are per repetition, ' +
      'against the raw `Map` (`await map.get(key)`) and lru-cache (`await cache.fetch(key)`) ' +
      'processes of the same repetition.',
    timed: true,
    appliesTo: always,
    cases: (s) => [{ workload: 'hit', batches: s.hitBatches, ops: s.asyncOps }],
    reps: (s) => s.timedReps,
    columns: hitColumns,
  },
  {
    id: 'hit-keys',
    title: 'Warm hit over many keys: `await cache.get(key)`',
    method:
      'The warm keys read in a seeded random order, cycled, with a cap of twice the keys so ' +
      'none is evicted whatever the policy (`misses` counts loads during the timed batches). ' +
      'Otherwise as the one-key hit.',
    timed: true,
    appliesTo: always,
    cases: (s) => [
      {
        workload: 'hit-keys',
        batches: s.hitBatches,
        ops: s.asyncOps,
        keys: s.warmKeys,
        seed: s.seed,
      },
    ],
    reps: (s) => s.timedReps,
    caseLabel: (p) => (p.workload === 'hit-keys' ? `${formatCount(p.keys)} keys` : ''),
    columns: [...hitColumns, { header: 'misses', metric: 'misses', format: formatCount }],
  },
  {
    id: 'peek',
    title: 'Synchronous `peek(key)` against `map.get(key)`',
    method:
      'One warm key read with the synchronous `peek`, for the peers that document one ' +
      '(`map.get` for the baseline); measured as the one-key hit.',
    timed: true,
    appliesTo: (peer) => peer.hasPeek,
    cases: (s) => [{ workload: 'peek', batches: s.hitBatches, ops: s.syncOps }],
    reps: (s) => s.timedReps,
    columns: [nsPerOp, ratioColumn('× Map.get', 'nsPerOp', 'map')],
  },
  {
    id: 'burst',
    title: 'Cold burst: N concurrent gets of one key',
    method:
      'N gets of one cold key fired in one synchronous loop; the load takes the stated delay. ' +
      '"Beyond load" is wall time (first get to last caller settled) minus the delay; "tail ' +
      'after load" is from the load settling to the last caller settling. A 10-caller volley ' +
      'at another key warms the process up first. Each N runs in its own processes.',
    timed: true,
    appliesTo: always,
    cases: (s) =>
      s.burstSizes.map((callers) => ({ workload: 'burst', callers, delayMs: s.loadDelayMs })),
    reps: (s) => s.timedReps,
    caseLabel: (p) =>
      p.workload === 'burst' ? `N = ${formatCount(p.callers)}, ${p.delayMs} ms load` : '',
    columns: burstColumns,
  },
  {
    id: 'cold-keys',
    title: 'Cold keys: many keys × a few callers each',
    method:
      'Every key gets its callers at once, interleaved (caller i asks for key i mod keys); ' +
      'each load takes the stated delay. The cap is twice the keys. Otherwise as the burst.',
    timed: true,
    appliesTo: always,
    cases: (s) => [
      {
        workload: 'cold-keys',
        keys: s.coldKeys,
        callersPerKey: s.callersPerColdKey,
        delayMs: s.loadDelayMs,
      },
    ],
    reps: (s) => s.timedReps,
    caseLabel: (p) =>
      p.workload === 'cold-keys'
        ? `${formatCount(p.keys)} keys × ${p.callersPerKey}, ${p.delayMs} ms load`
        : '',
    columns: burstColumns.filter((column) => column.against === undefined),
  },
  {
    id: 'failing',
    title: 'Failing load: a burst on a key whose load rejects',
    method:
      'N concurrent gets of one key whose load rejects after the stated delay. "Wall ÷ load" ' +
      'is the wall time over the delay: 1 means every caller was told as soon as the one ' +
      'load failed.',
    timed: true,
    appliesTo: always,
    cases: (s) => [{ workload: 'failing', callers: s.failingCallers, delayMs: s.loadDelayMs }],
    reps: (s) => s.timedReps,
    caseLabel: (p) =>
      p.workload === 'failing' ? `N = ${formatCount(p.callers)}, ${p.delayMs} ms load` : '',
    columns: [
      loads,
      { header: 'wall ms', metric: 'wallMs', format: formatTime },
      { header: 'wall ÷ load', metric: 'wallOverLoad', format: formatRatio },
      { header: 'rejected', metric: 'rejected', format: formatCount },
      { header: 'errors', metric: 'errors', format: formatCount },
    ],
  },
  {
    id: 'memory',
    title: 'Memory per entry',
    method:
      'Heap (`heapUsed` + `arrayBuffers`, after `gc()`) held by a cache filled through `get` ' +
      'with distinct keys (cap = entries), its construction included, per entry; less what ' +
      'the same keys and values cost held in two preallocated arrays. Peers that serialize ' +
      '(bentocache, cache-manager via Keyv) hold a JSON string instead of the value. The ' +
      'second case reads every entry once more before measuring, as a hot entry is read: ' +
      'what a peer keeps per entry only once it has been hit shows there.',
    timed: false,
    appliesTo: always,
    cases: (s) => [
      { workload: 'memory', entries: s.memoryEntries, readBack: false },
      { workload: 'memory', entries: s.memoryEntries, readBack: true },
    ],
    reps: (s) => s.memoryReps,
    caseLabel: (p) =>
      p.workload === 'memory'
        ? `${formatCount(p.entries)} entries${p.readBack ? ', each read again' : ''}`
        : '',
    columns: [
      { header: 'bytes/entry', metric: 'bytesPerEntry', format: formatBytes },
      { header: 'key+value bytes', metric: 'keyValueBytesPerEntry', format: formatBytes },
      { header: 'overhead bytes/entry', metric: 'overheadPerEntry', format: formatBytes },
      { header: 'entries held', metric: 'held', format: formatCount },
    ],
  },
  {
    id: 'flood',
    title: 'Key flood: distinct keys flowing through a capped cache',
    method:
      'Distinct keys read once each, in order, through a cache capped at the stated cap; heap ' +
      '(as for memory per entry) over the empty-process baseline after the first `cap` keys ' +
      'and after all of them. Growth is the second over the first.',
    timed: false,
    appliesTo: (peer) => peer.bounded,
    cases: (s) => [{ workload: 'flood', cap: s.floodCap, keys: s.floodKeys }],
    reps: (s) => s.memoryReps,
    caseLabel: (p) =>
      p.workload === 'flood' ? `${formatCount(p.keys)} keys, cap ${formatCount(p.cap)}` : '',
    columns: [
      { header: 'MiB at cap', metric: 'atCapBytes', format: formatMiB },
      { header: 'MiB after flood', metric: 'afterFloodBytes', format: formatMiB },
      { header: 'growth', metric: 'growth', format: formatRatio },
      { header: 'entries held', metric: 'held', format: formatCount },
    ],
  },
  {
    id: 'expiry',
    title: 'Expired entries: what is still held after the TTL',
    method:
      'Keys loaded with a short TTL (cap = keys); after the last load the worker waits past ' +
      'the TTL (async-cache-dedupe: its 1 s minimum TTL and 1 s clock), then does what user ' +
      'traffic would: one `get` of a new key and, where public, a read of the size. No ' +
      '`purgeStale()`, no extra timers. Retained heap is over the empty-process baseline.',
    timed: false,
    appliesTo: (peer) => peer.expires,
    cases: (s) => [{ workload: 'expiry', keys: s.expiryKeys, ttlMs: s.expiryTtlMs, waitMs: 0 }],
    forPeer: (params, peer) =>
      params.workload === 'expiry'
        ? { ...params, waitMs: expiryWaitMs(params.ttlMs, peer.ttlResolutionMs) }
        : params,
    reps: (s) => s.memoryReps,
    caseLabel: (p) =>
      p.workload === 'expiry' ? `${formatCount(p.keys)} keys, ${p.ttlMs} ms TTL` : '',
    columns: [
      { header: 'retained MiB', metric: 'retainedBytes', format: formatMiB },
      { header: 'retained bytes/key', metric: 'retainedPerKey', format: formatBytes },
      { header: 'entries still held', metric: 'held', format: formatCount },
    ],
  },
  {
    id: 'zipf',
    title: 'Hit ratio: Zipf stream',
    method:
      'A seeded Zipf stream replayed one awaited `get` at a time; a get is a hit when it started ' +
      'no load. "Optimal static" holds the cap hottest keys (the sum of their probabilities); ' +
      '"ideal LRU" is an exact LRU simulated over the same stream.',
    timed: false,
    appliesTo: (peer) => peer.bounded,
    cases: (s) => [ratioCase('zipf', s)],
    reps: (s) => s.ratioReps,
    caseLabel: ratioLabel,
    columns: [{ header: 'hit ratio', metric: 'hotHitRatio', format: formatHitRatio }, loads],
    references: ratioReferences,
  },
  {
    id: 'scan',
    title: 'Hit ratio: Zipf stream with a scan mixed in',
    method:
      'The Zipf stream of the previous table with as many one-off keys shuffled in (seeded). ' +
      '"Hot hit ratio" counts the Zipf gets only; one-off keys always miss.',
    timed: false,
    appliesTo: (peer) => peer.bounded,
    cases: (s) => [ratioCase('scan', s)],
    reps: (s) => s.ratioReps,
    caseLabel: ratioLabel,
    columns: [
      { header: 'hot hit ratio', metric: 'hotHitRatio', format: formatHitRatio },
      { header: 'overall hit ratio', metric: 'hitRatio', format: formatHitRatio },
      loads,
    ],
    references: ratioReferences,
  },
];

function ratioCase(workload: 'zipf' | 'scan', s: CompareSettings): CaseParams {
  return {
    workload,
    cap: s.ratioCap,
    keys: s.ratioKeys,
    gets: s.ratioGets,
    exponent: s.zipfExponent,
    seed: s.seed,
  };
}

function ratioLabel(p: CaseParams): string {
  if (p.workload !== 'zipf' && p.workload !== 'scan') return '';
  const gets =
    p.workload === 'scan'
      ? `${formatCount(p.gets)} + ${formatCount(p.gets)} one-off`
      : formatCount(p.gets);
  return `cap ${formatCount(p.cap)}, ${formatCount(p.keys)} keys, s = ${p.exponent}, ${gets} gets`;
}

function ratioReferences(p: CaseParams): readonly ReferenceRow[] {
  if (p.workload !== 'zipf' && p.workload !== 'scan') return [];
  const optimal = new ZipfSampler(p.keys, p.exponent).topMass(p.cap);
  const stream = p.workload === 'zipf' ? zipfStream(p) : scanMixStream(p);
  const lru = replayLru(stream, p.cap);
  return [
    {
      label: 'optimal static (computed)',
      metrics: { hotHitRatio: optimal, hitRatio: p.workload === 'zipf' ? optimal : optimal / 2 },
    },
    {
      label: 'ideal LRU (simulated)',
      metrics: { ...lru, loads: stream.length - lru.hitRatio * stream.length },
    },
  ];
}

/** The workload with id `id`. */
export function workloadById(id: WorkloadId): WorkloadDefinition {
  const workload = WORKLOADS.find((candidate) => candidate.id === id);
  if (workload === undefined) throw new Error(`unknown workload ${id}`);
  return workload;
}
