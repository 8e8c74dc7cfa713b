import { quantile } from '../../lib/statistics.js';
import type { CacheUnderTest, CreateCache } from '../peers/cache-under-test.js';
import { type CaseParams, type Metrics, NO_EXPIRY_TTL_MS } from './case-params.js';
import { TestSource, type TestValue } from './test-source.js';

/** How one volley of concurrent gets went. */
interface Volley {
  /** From the first `get` to the last caller settling, in milliseconds. */
  readonly wallMs: number;
  /** `performance.now()` when the last caller settled. */
  readonly lastCallerAt: number;
  readonly p99Ms: number;
  /** Callers that got another key's value. */
  readonly wrong: number;
  readonly rejected: number;
}

/**
 * Fires `callers` gets at once, caller `i` asking for `keys[i % keys.length]`,
 * and waits for every one to settle.
 */
async function volley(
  cache: CacheUnderTest<TestValue>,
  keys: readonly string[],
  callers: number,
): Promise<Volley> {
  const latencies = new Float64Array(callers);
  const settled: Promise<void>[] = new Array(callers);
  let lastCallerAt = Number.NaN;
  let wrong = 0;
  let rejected = 0;
  const started = performance.now();
  for (let caller = 0; caller < callers; caller++) {
    const key = keys[caller % keys.length] as string;
    const askedAt = performance.now();
    settled[caller] = Promise.resolve(cache.get(key)).then(
      (value) => {
        lastCallerAt = performance.now();
        latencies[caller] = lastCallerAt - askedAt;
        if (value.key !== key) wrong++;
      },
      () => {
        lastCallerAt = performance.now();
        latencies[caller] = lastCallerAt - askedAt;
        rejected++;
      },
    );
  }
  await Promise.all(settled);
  return {
    wallMs: lastCallerAt - started,
    lastCallerAt,
    p99Ms: quantile(latencies, 0.99),
    wrong,
    rejected,
  };
}

/**
 * A peer over a source whose loads take `delayMs`, with one small untimed
 * volley at another key first, so the measured one does not pay for
 * first-call compilation alone.
 */
async function warmedUp(create: CreateCache, delayMs: number, fail: boolean, max: number) {
  const source = new TestSource({ delayMs, fail });
  const cache = create(source.load, { ttlMs: NO_EXPIRY_TTL_MS, max });
  await volley(cache, ['warm-up'], 10);
  source.reset();
  return { source, cache };
}

/** `callers` concurrent gets of one cold key. */
export async function runBurst(
  create: CreateCache,
  params: Extract<CaseParams, { workload: 'burst' }>,
): Promise<Metrics> {
  const { source, cache } = await warmedUp(create, params.delayMs, false, 1_000);
  const result = await volley(cache, ['cold-key'], params.callers);
  await cache.close?.();
  return burstMetrics(source, result, params.delayMs);
}

/** `callersPerKey` concurrent gets of each of `keys` cold keys, interleaved. */
export async function runColdKeys(
  create: CreateCache,
  params: Extract<CaseParams, { workload: 'cold-keys' }>,
): Promise<Metrics> {
  const { source, cache } = await warmedUp(create, params.delayMs, false, params.keys * 2);
  const keys = Array.from({ length: params.keys }, (_, index) => `cold:${index}`);
  const result = await volley(cache, keys, params.keys * params.callersPerKey);
  await cache.close?.();
  return burstMetrics(source, result, params.delayMs);
}

/** `callers` concurrent gets of one key whose load rejects after `delayMs`. */
export async function runFailing(
  create: CreateCache,
  params: Extract<CaseParams, { workload: 'failing' }>,
): Promise<Metrics> {
  const { source, cache } = await warmedUp(create, params.delayMs, true, 1_000);
  const result = await volley(cache, ['failing-key'], params.callers);
  await cache.close?.();
  return {
    loads: source.loads,
    wallMs: result.wallMs,
    wallOverLoad: result.wallMs / params.delayMs,
    p99Ms: result.p99Ms,
    rejected: result.rejected,
    // A failing load that some caller saw succeed is a bug in the peer or the harness.
    errors: result.wrong + (params.callers - result.rejected),
  };
}

/** What a burst or cold-keys volley reports: loads, wall, time beyond the load, tail, p99, errors. */
function burstMetrics(
  source: { readonly loads: number; readonly lastSettledAt: number },
  result: Awaited<ReturnType<typeof volley>>,
  delayMs: number,
): Metrics {
  return {
    loads: source.loads,
    wallMs: result.wallMs,
    extraMs: result.wallMs - delayMs,
    tailMs: result.lastCallerAt - source.lastSettledAt,
    p99Ms: result.p99Ms,
    errors: result.wrong + result.rejected,
  };
}
