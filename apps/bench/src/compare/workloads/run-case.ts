import type { CreateCache } from '../peers/cache-under-test.js';
import { runBurst, runColdKeys, runFailing } from './burst.js';
import type { CaseParams, Metrics } from './case-params.js';
import { runHit, runHitKeys, runPeek } from './hit.js';
import { runHitRatio } from './hit-ratio.js';
import { runExpiry, runFlood, runMemory } from './memory.js';

/** Runs one case against the peer `create` builds; the worker process's whole job. */
export function runCase(create: CreateCache, params: CaseParams): Promise<Metrics> {
  switch (params.workload) {
    case 'hit':
      return runHit(create, params);
    case 'hit-keys':
      return runHitKeys(create, params);
    case 'peek':
      return runPeek(create, params);
    case 'burst':
      return runBurst(create, params);
    case 'cold-keys':
      return runColdKeys(create, params);
    case 'failing':
      return runFailing(create, params);
    case 'memory':
      return runMemory(create, params);
    case 'flood':
      return runFlood(create, params);
    case 'expiry':
      return runExpiry(create, params);
    case 'zipf':
    case 'scan':
      return runHitRatio(create, params);
  }
}
