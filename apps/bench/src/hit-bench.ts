import { L1Cache } from '@aa/cache';
import type { AgentId, PolicyDocument } from '@aa/core';
import { MemoryPolicyStore, samplePolicy } from '@aa/testing';
import { burstAgentId } from './burst.js';
import { median } from './lib/statistics.js';

/** One measured operation, against the baseline it is compared with. */
export interface HitMeasurement {
  readonly operation: string;
  readonly baseline: string;
  /** Median nanoseconds per operation over the rounds. */
  readonly nsPerOp: number;
  /** Median over the rounds of (this operation's time / the baseline's in the same round). */
  readonly ratio: number;
}

/** How long to measure: rounds interleave every operation, so drift hits all alike. */
export interface HitBenchSettings {
  readonly rounds: number;
  readonly asyncOps: number;
  readonly syncOps: number;
}

/** Enough rounds for a stable median in a few seconds on a shared 2-core machine. */
export const DEFAULT_HIT_SETTINGS: HitBenchSettings = {
  rounds: 9,
  asyncOps: 200_000,
  syncOps: 2_000_000,
};

// One hand-written loop per operation rather than one loop over a callback, so
// each call site stays monomorphic and the figures compare the operations, not
// the harness. `sink` keeps the optimiser from dropping the reads.
async function awaitMapGet(map: Map<AgentId, PolicyDocument>, id: AgentId, ops: number) {
  let sink = 0;
  for (let op = 0; op < ops; op++) sink ^= (await map.get(id))?.version ?? 0;
  return sink;
}

async function awaitCacheGet(cache: L1Cache<AgentId, PolicyDocument>, id: AgentId, ops: number) {
  let sink = 0;
  for (let op = 0; op < ops; op++) sink ^= (await cache.get(id)).version;
  return sink;
}

async function awaitStoreGet(store: MemoryPolicyStore, id: AgentId, ops: number) {
  let sink = 0;
  for (let op = 0; op < ops; op++) sink ^= (await store.getPolicy(id)).version;
  return sink;
}

function mapGet(map: Map<AgentId, PolicyDocument>, id: AgentId, ops: number) {
  let sink = 0;
  for (let op = 0; op < ops; op++) sink ^= map.get(id)?.version ?? 0;
  return sink;
}

function cachePeek(cache: L1Cache<AgentId, PolicyDocument>, id: AgentId, ops: number) {
  let sink = 0;
  for (let op = 0; op < ops; op++) sink ^= cache.peek(id)?.version ?? 0;
  return sink;
}

async function nanosecondsPerOp(ops: number, run: () => unknown): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / ops;
}

/**
 * Measures a warm L1 hit, the raw in-memory store and a raw `Map`, interleaved
 * round by round, and reports medians and per-round ratios to the `Map`.
 */
export async function runHitBench(settings: HitBenchSettings): Promise<HitMeasurement[]> {
  const { rounds, asyncOps, syncOps } = settings;
  const id = burstAgentId(0);
  const policy = samplePolicy(1);
  const map = new Map([[id, policy]]);
  const store = MemoryPolicyStore.withPolicy(id, policy);
  const cache = new L1Cache(store, { ttlMs: 3_600_000 });
  // The default clock is read once per task, and these loops
  // run in one; a request arriving on its own I/O pays one reading. This cache
  // reads the clock on every call: the cost of a hit in that worst case.
  const preciseClock = new L1Cache(store, {
    ttlMs: 3_600_000,
    clock: { now: () => performance.now() },
  });
  await cache.get(id);
  await preciseClock.get(id);

  const operations = [
    {
      operation: '`await map.get(id)`',
      baseline: 'itself',
      ops: asyncOps,
      run: () => awaitMapGet(map, id, asyncOps),
    },
    {
      operation: '`await cache.get(id)` (warm L1 hit)',
      baseline: '`await map.get(id)`',
      ops: asyncOps,
      run: () => awaitCacheGet(cache, id, asyncOps),
    },
    {
      operation: '`await cache.get(id)`, clock read on every call',
      baseline: '`await map.get(id)`',
      ops: asyncOps,
      run: () => awaitCacheGet(preciseClock, id, asyncOps),
    },
    {
      operation: '`await store.getPolicy(id)` (raw store)',
      baseline: '`await map.get(id)`',
      ops: asyncOps,
      run: () => awaitStoreGet(store, id, asyncOps),
    },
    {
      operation: '`map.get(id)`',
      baseline: 'itself',
      ops: syncOps,
      run: () => mapGet(map, id, syncOps),
    },
    {
      operation: '`cache.peek(id)`',
      baseline: '`map.get(id)`',
      ops: syncOps,
      run: () => cachePeek(cache, id, syncOps),
    },
  ];
  const baselineIndex = (baseline: string, index: number) =>
    baseline === 'itself'
      ? index
      : operations.findIndex((candidate) => candidate.operation === baseline);

  const samples = operations.map(() => [] as number[]);
  // Round 0 warms the JIT up and is not counted.
  for (let round = 0; round <= rounds; round++) {
    for (const [index, { ops, run }] of operations.entries()) {
      const ns = await nanosecondsPerOp(ops, run);
      if (round > 0) samples[index]?.push(ns);
    }
  }

  return operations.map(({ operation, baseline }, index) => {
    const own = samples[index] ?? [];
    const base = samples[baselineIndex(baseline, index)] ?? [];
    return {
      operation,
      baseline,
      nsPerOp: median(own),
      ratio: median(own.map((ns, round) => ns / (base[round] ?? Number.NaN))),
    };
  });
}
