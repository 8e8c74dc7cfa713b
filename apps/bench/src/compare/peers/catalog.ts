import type { CreateCache } from './cache-under-test.js';

/** The caches compared, in table order; `map` is the baseline. */
export const PEER_IDS = [
  'map',
  'aa-cache',
  'lru-cache',
  'bentocache',
  'cache-manager',
  'async-cache-dedupe',
] as const;

/** One of {@link PEER_IDS}. */
export type PeerId = (typeof PEER_IDS)[number];

/** What the harness needs to know about a peer without loading it. */
export interface PeerInfo {
  readonly id: PeerId;
  /** The npm package measured, whose pinned version the report prints. */
  readonly packageName: string;
  /** How the adapter uses it, as it appears in the report. */
  readonly usage: string;
  /** Whether it honours `max`; unbounded peers sit out the bounded workloads. */
  readonly bounded: boolean;
  /** Whether it honours `ttlMs`; peers without a TTL sit out the expiry workload. */
  readonly expires: boolean;
  /** Whether it has a documented synchronous read, measured by the peek workload. */
  readonly hasPeek: boolean;
  /**
   * The shortest TTL it can express, and the granularity of the clock it
   * expires by, in milliseconds: the expiry workload waits past both.
   */
  readonly ttlResolutionMs: number;
}

/** Every peer, keyed by id. */
export const PEERS: Readonly<Record<PeerId, PeerInfo>> = {
  map: {
    id: 'map',
    packageName: 'raw Map',
    usage:
      '`map.get(key) ?? load(key)`, oldest insertion deleted past `max`: no TTL, no coalescing',
    bounded: true,
    expires: false,
    hasPeek: true,
    ttlResolutionMs: 0,
  },
  'aa-cache': {
    id: 'aa-cache',
    packageName: '@aa/cache',
    usage: '`new L1Cache({ load }, { ttlMs, maxEntries })`, `get(key)`, `peek(key)`',
    bounded: true,
    expires: true,
    hasPeek: true,
    ttlResolutionMs: 1,
  },
  'lru-cache': {
    id: 'lru-cache',
    packageName: 'lru-cache',
    usage: '`new LRUCache({ max, ttl, fetchMethod })`, `fetch(key)`, `peek(key)`',
    bounded: true,
    expires: true,
    hasPeek: true,
    ttlResolutionMs: 1,
  },
  bentocache: {
    id: 'bentocache',
    packageName: 'bentocache',
    usage:
      '`bentostore().useL1Layer(memoryDriver({ maxItems }))`, `getOrSet({ key, factory, ttl })`',
    bounded: true,
    expires: true,
    hasPeek: false,
    ttlResolutionMs: 1,
  },
  'cache-manager': {
    id: 'cache-manager',
    packageName: 'cache-manager',
    usage:
      '`createCache({ stores: [new Keyv({ store })] })` over `new LRUCache({ max, ttl })` ' +
      '(with a `set` shim, see the README), `wrap(key, fn, ttl)`',
    bounded: true,
    expires: true,
    hasPeek: false,
    ttlResolutionMs: 1,
  },
  'async-cache-dedupe': {
    id: 'async-cache-dedupe',
    packageName: 'async-cache-dedupe',
    usage:
      "`createCache({ ttl, storage: { type: 'memory', options: { size } } }).define(name, fn)`",
    bounded: true,
    expires: true,
    hasPeek: false,
    ttlResolutionMs: 1_000,
  },
};

/**
 * Loads one peer's adapter. Each is imported on demand, so a worker process
 * loads only the library it measures.
 */
export async function loadPeer(id: PeerId): Promise<CreateCache> {
  switch (id) {
    case 'map':
      return (await import('./raw-map.js')).createRawMap;
    case 'aa-cache':
      return (await import('./aa-cache.js')).createAaCache;
    case 'lru-cache':
      return (await import('./lru-cache.js')).createLruCache;
    case 'bentocache':
      return (await import('./bentocache.js')).createBentocache;
    case 'cache-manager':
      return (await import('./cache-manager.js')).createCacheManager;
    case 'async-cache-dedupe':
      return (await import('./async-cache-dedupe.js')).createAsyncCacheDedupe;
  }
}
