import { type CacheStats, L1Cache } from '@aa/cache';
import { AgentId, type CacheSource, type PolicyDocument } from '@aa/core';
import { MemoryPolicyStore, samplePolicy } from '@aa/testing';
import { quantile } from './lib/statistics.js';

/** The shape of one cold-key burst. */
export interface BurstSettings {
  readonly concurrency: number;
  readonly delayMs: number;
  readonly keys: number;
}

/**
 * What a burst reads from: key number `i` (agent {@link burstAgentId}`(i)`) must
 * hold a policy at version `i + 1`.
 */
export interface BurstSource {
  readonly source: CacheSource<AgentId, PolicyDocument>;
  /** Loads the source has served so far, failed ones included. */
  loads(): number;
}

/** What one burst did, and whether it collapsed to one load per key. */
export interface BurstResult extends BurstSettings {
  /** Callers in all: `keys × concurrency`. */
  readonly callers: number;
  /** Loads the store saw. */
  readonly loads: number;
  /** Callers that were rejected or got another key's policy. */
  readonly wrongAnswers: number;
  /** From the first `get` to the last caller settling, in milliseconds. */
  readonly wallMs: number;
  /** Wall time beyond the store's own delay, in milliseconds. */
  readonly extraMs: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  /** `loads === keys` and every caller got its key's policy. */
  readonly collapsed: boolean;
  /** The cache's own counters after the burst. */
  readonly stats: CacheStats;
}

/** The agent id of key number `index` in a burst: distinct for every index. */
export function burstAgentId(index: number): AgentId {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setUint32(12, index + 1);
  return AgentId.fromBytes(bytes);
}

/** The default {@link BurstSource}: a {@link MemoryPolicyStore} whose loads take `delayMs`. */
export function memoryBurstSource(settings: BurstSettings): BurstSource {
  const store = new MemoryPolicyStore().withDelay(settings.delayMs);
  for (let index = 0; index < settings.keys; index++) {
    store.insert(burstAgentId(index), samplePolicy(index + 1));
  }
  return { source: store, loads: () => store.callCount() };
}

/**
 * Fires `concurrency` concurrent gets at each of `keys` cold keys of an
 * {@link L1Cache} over `from` (by default a {@link MemoryPolicyStore} whose
 * loads take `delayMs`), and reports how many loads reached the source and how
 * long callers waited.
 */
export async function runBurst(
  settings: BurstSettings,
  from: BurstSource = memoryBurstSource(settings),
): Promise<BurstResult> {
  const { concurrency, delayMs, keys } = settings;
  const ids = Array.from({ length: keys }, (_, index) => burstAgentId(index));
  const cache = new L1Cache(from.source, { ttlMs: 60_000, maxEntries: keys });
  const callers = keys * concurrency;
  const latencies = new Float64Array(callers);
  let wrongAnswers = 0;
  const reads: Promise<void>[] = [];
  const started = performance.now();
  for (let caller = 0; caller < callers; caller++) {
    const keyIndex = caller % keys;
    const askedAt = performance.now();
    reads.push(
      cache.get(ids[keyIndex] as AgentId).then(
        (policy) => {
          latencies[caller] = performance.now() - askedAt;
          if (policy.version !== keyIndex + 1) wrongAnswers++;
        },
        () => {
          latencies[caller] = performance.now() - askedAt;
          wrongAnswers++;
        },
      ),
    );
  }
  await Promise.all(reads);
  const wallMs = performance.now() - started;
  const loads = from.loads();

  return {
    ...settings,
    callers,
    loads,
    wrongAnswers,
    wallMs,
    extraMs: Math.max(0, wallMs - delayMs),
    latencyP50Ms: quantile(latencies, 0.5),
    latencyP99Ms: quantile(latencies, 0.99),
    latencyMaxMs: quantile(latencies, 1),
    collapsed: loads === keys && wrongAnswers === 0,
    stats: cache.stats(),
  };
}
