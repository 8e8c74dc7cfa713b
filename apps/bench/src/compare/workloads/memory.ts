import { setTimeout as sleep } from 'node:timers/promises';
import { settledHeapBytes } from '../../lib/heap.js';
import { median } from '../../lib/statistics.js';
import type { CacheUnderTest, CreateCache } from '../peers/cache-under-test.js';
import { type CaseParams, type Metrics, NO_EXPIRY_TTL_MS } from './case-params.js';
import { makeValue, TestSource, type TestValue } from './test-source.js';

// Keys stay under 13 characters, so V8 stores each as one flat string, the
// same in the cache as in the reference arrays.
const keyOf = (prefix: string, index: number) => `${prefix}${index}`;

async function fill(cache: CacheUnderTest<TestValue>, prefix: string, from: number, to: number) {
  for (let index = from; index < to; index++) await cache.get(keyOf(prefix, index));
}

/**
 * The heap one key and its value cost on their own, per entry: `sample` of
 * them held in two arrays whose slots were allocated beforehand, so only the
 * strings and the value objects are counted, not the references to them (a
 * cache holds references too, and that is part of its overhead). The cost is
 * linear, so a large sample measures it well even for a small cache.
 */
async function keyValueBytesPerEntry(sample: number): Promise<number> {
  let keys: unknown[] = new Array(sample).fill(0);
  let values: unknown[] = new Array(sample).fill(0);
  const bare = await settledHeapBytes();
  for (let index = 0; index < sample; index++) {
    const key = keyOf('k', index);
    keys[index] = key;
    values[index] = makeValue(key, index + 1);
  }
  const held = await settledHeapBytes();
  // Read after measuring, so the arrays are live until then.
  if (keys.length !== values.length) throw new Error('unreachable');
  keys = [];
  values = [];
  return (held - bare) / sample;
}

/**
 * Bytes per entry at `entries` entries: the heap a cache filled through `get`
 * (and with `readBack`, read through `get` once more) holds, its construction
 * included, less what the keys and values cost on their own.
 */
export async function runMemory(
  create: CreateCache,
  params: Extract<CaseParams, { workload: 'memory' }>,
): Promise<Metrics> {
  const { entries } = params;
  const before = await settledHeapBytes();
  const source = new TestSource();
  let cache: CacheUnderTest<TestValue> | undefined = create(source.load, {
    ttlMs: NO_EXPIRY_TTL_MS,
    max: entries,
  });
  await fill(cache, 'k', 0, entries);
  if (params.readBack) await fill(cache, 'k', 0, entries);
  const after = await settledHeapBytes();
  const held = cache.size?.() ?? Number.NaN;
  await cache.close?.();
  cache = undefined;
  // Measured after the cache is gone, so its garbage cannot skew `before`;
  // the median of three, as a single sample is now and then off either way.
  const sample = Math.max(entries, 20_000);
  const samples: number[] = [];
  for (let round = 0; round < 3; round++) samples.push(await keyValueBytesPerEntry(sample));
  const keyValueBytes = median(samples) * entries;
  return {
    bytesPerEntry: (after - before) / entries,
    keyValueBytesPerEntry: keyValueBytes / entries,
    overheadPerEntry: (after - before - keyValueBytes) / entries,
    loads: source.loads,
    held,
  };
}

/**
 * Heap growth while `keys` distinct keys flow through a cache capped at `cap`:
 * the heap it holds after all of them over the heap it held after the first
 * `cap`.
 */
export async function runFlood(
  create: CreateCache,
  params: Extract<CaseParams, { workload: 'flood' }>,
): Promise<Metrics> {
  const before = await settledHeapBytes();
  const source = new TestSource();
  const cache = create(source.load, { ttlMs: NO_EXPIRY_TTL_MS, max: params.cap });
  await fill(cache, 'f', 0, params.cap);
  const atCap = (await settledHeapBytes()) - before;
  await fill(cache, 'f', params.cap, params.keys);
  const afterFlood = (await settledHeapBytes()) - before;
  const held = cache.size?.() ?? Number.NaN;
  await cache.close?.();
  return {
    atCapBytes: atCap,
    afterFloodBytes: afterFlood,
    growth: afterFlood / atCap,
    held,
    loads: source.loads,
  };
}

/**
 * What is still held after `keys` entries with a `ttlMs` TTL have expired.
 * After the last load the worker waits `waitMs`, then triggers the
 * reclamation a user's traffic would: one more `get` (a write of a new key)
 * and, for peers that have one, a read of the public size. Nothing else: no
 * `purgeStale()`, no timers the peer does not start on its own.
 */
export async function runExpiry(
  create: CreateCache,
  params: Extract<CaseParams, { workload: 'expiry' }>,
): Promise<Metrics> {
  const before = await settledHeapBytes();
  const source = new TestSource();
  const cache = create(source.load, { ttlMs: params.ttlMs, max: params.keys });
  const started = performance.now();
  await fill(cache, 'e', 0, params.keys);
  const fillMs = performance.now() - started;
  await sleep(params.waitMs);
  await cache.get('e-trigger');
  const held = cache.size?.() ?? Number.NaN;
  const retained = (await settledHeapBytes()) - before;
  // Touch the cache after measuring, so it is live until then.
  await cache.get('e-trigger');
  await cache.close?.();
  return {
    retainedBytes: retained,
    retainedPerKey: retained / params.keys,
    held,
    fillMs,
  };
}
