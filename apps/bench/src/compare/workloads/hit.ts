import { SeededRandom } from '../../lib/prng.js';
import { median } from '../../lib/statistics.js';
import type { CacheUnderTest, CreateCache } from '../peers/cache-under-test.js';
import { type CaseParams, type Metrics, NO_EXPIRY_TTL_MS } from './case-params.js';
import { TestSource, type TestValue } from './test-source.js';

type Cache = CacheUnderTest<TestValue>;

// One hand-written loop per operation rather than one loop over a callback, so
// each call site stays monomorphic and the figures compare the caches, not the
// harness; each worker process holds one peer, so `cache.get` sees one shape.
// `sink` keeps the optimiser from dropping the reads.
async function awaitOneKey(cache: Cache, key: string, ops: number): Promise<number> {
  let sink = 0;
  for (let op = 0; op < ops; op++) sink ^= (await cache.get(key)).version;
  return sink;
}

async function awaitManyKeys(cache: Cache, keys: readonly string[], ops: number) {
  let sink = 0;
  let next = 0;
  for (let op = 0; op < ops; op++) {
    sink ^= (await cache.get(keys[next] as string)).version;
    if (++next === keys.length) next = 0;
  }
  return sink;
}

function peekOneKey(peek: (key: string) => TestValue | undefined, key: string, ops: number) {
  let sink = 0;
  for (let op = 0; op < ops; op++) sink ^= peek(key)?.version ?? 0;
  return sink;
}

/** Median nanoseconds per op over `batches` timed runs of `run`, after one untimed warm-up run. */
async function timeBatches(batches: number, ops: number, run: () => number | Promise<number>) {
  const samples: number[] = [];
  let checksum = 0;
  for (let batch = 0; batch <= batches; batch++) {
    const started = performance.now();
    checksum ^= await run();
    const nsPerOp = ((performance.now() - started) * 1e6) / ops;
    if (batch > 0) samples.push(nsPerOp);
  }
  return { nsPerOp: median(samples), checksum };
}

/** `await cache.get(key)` on one warm key. */
export async function runHit(
  create: CreateCache,
  params: Extract<CaseParams, { workload: 'hit' }>,
): Promise<Metrics> {
  const source = new TestSource();
  const cache = create(source.load, { ttlMs: NO_EXPIRY_TTL_MS, max: 1_000 });
  const key = 'hot-key';
  await cache.get(key);
  const warmLoads = source.loads;
  const result = await timeBatches(params.batches, params.ops, () =>
    awaitOneKey(cache, key, params.ops),
  );
  await cache.close?.();
  return { ...result, misses: source.loads - warmLoads };
}

/**
 * `await cache.get(key)` cycling through `keys` warm keys in a seeded random
 * order. The cap is twice the keys, so every key stays warm whatever the
 * eviction or admission policy; `misses` would say otherwise.
 */
export async function runHitKeys(
  create: CreateCache,
  params: Extract<CaseParams, { workload: 'hit-keys' }>,
): Promise<Metrics> {
  const source = new TestSource();
  const cache = create(source.load, { ttlMs: NO_EXPIRY_TTL_MS, max: params.keys * 2 });
  const keys = shuffled(
    Array.from({ length: params.keys }, (_, index) => `key:${index}`),
    new SeededRandom(params.seed),
  );
  for (const key of keys) await cache.get(key);
  const warmLoads = source.loads;
  const result = await timeBatches(params.batches, params.ops, () =>
    awaitManyKeys(cache, keys, params.ops),
  );
  await cache.close?.();
  return { ...result, misses: source.loads - warmLoads };
}

/** The peer's synchronous `peek(key)` on one warm key (`map.get(key)` for the baseline). */
export async function runPeek(
  create: CreateCache,
  params: Extract<CaseParams, { workload: 'peek' }>,
): Promise<Metrics> {
  const source = new TestSource();
  const cache = create(source.load, { ttlMs: NO_EXPIRY_TTL_MS, max: 1_000 });
  const peek = cache.peek;
  if (peek === undefined) throw new TypeError('Expected a peer with a synchronous `peek`');
  const key = 'hot-key';
  await cache.get(key);
  const result = await timeBatches(params.batches, params.ops, () =>
    peekOneKey(peek, key, params.ops),
  );
  await cache.close?.();
  return { ...result, found: peek(key) === undefined ? 0 : 1 };
}

/** A Fisher–Yates shuffle of `items` in place, returned. */
function shuffled<T>(items: T[], random: SeededRandom): T[] {
  for (let index = items.length - 1; index > 0; index--) {
    const other = random.nextInt(index + 1);
    [items[index], items[other]] = [items[other] as T, items[index] as T];
  }
  return items;
}
