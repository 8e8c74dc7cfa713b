import { ONE_OFF, scanMixStream, zipfStream } from '../access-streams.js';
import type { CreateCache } from '../peers/cache-under-test.js';
import { type CaseParams, type Metrics, NO_EXPIRY_TTL_MS } from './case-params.js';
import { TestSource } from './test-source.js';

/**
 * Replays the seeded Zipf stream (`zipf`), or the same stream with as many
 * one-off keys shuffled in (`scan`), through a cache capped at `cap`, one
 * awaited `get` at a time, and counts a get as a hit when it started no load.
 */
export async function runHitRatio(
  create: CreateCache,
  params: Extract<CaseParams, { workload: 'zipf' | 'scan' }>,
): Promise<Metrics> {
  const stream = params.workload === 'zipf' ? zipfStream(params) : scanMixStream(params);
  const keys = Array.from({ length: params.keys }, (_, rank) => `z${rank}`);
  const source = new TestSource();
  const cache = create(source.load, { ttlMs: NO_EXPIRY_TTL_MS, max: params.cap });
  let hotGets = 0;
  let hotHits = 0;
  let oneOffs = 0;
  const started = performance.now();
  for (const rank of stream) {
    if (rank === ONE_OFF) {
      await cache.get(`s${oneOffs++}`);
      continue;
    }
    const loadsBefore = source.loads;
    await cache.get(keys[rank] as string);
    hotGets++;
    if (source.loads === loadsBefore) hotHits++;
  }
  const seconds = (performance.now() - started) / 1000;
  await cache.close?.();
  return {
    hotHitRatio: hotHits / hotGets,
    hitRatio: hotHits / stream.length,
    loads: source.loads,
    gets: stream.length,
    nsPerGet: (seconds * 1e9) / stream.length,
  };
}
