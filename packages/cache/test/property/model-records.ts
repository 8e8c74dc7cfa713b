/**
 * What a caller of `get` must receive, named by where it comes from so that a
 * message can say which load it belongs to. Errors the cache makes itself
 * (timeouts, disposal, a faulty TTL) are compared by class, and every caller
 * expecting the same one must get the very same object.
 */
export type Expected =
  | { readonly kind: 'value'; readonly load: number }
  | { readonly kind: 'source-error'; readonly load: number }
  | { readonly kind: 'aborted'; readonly controller: number }
  | { readonly kind: 'timeout'; readonly load: number }
  | { readonly kind: 'ttl-error'; readonly load: number }
  | { readonly kind: 'disposed'; readonly token: number };

/** The model of one source load and the cache's flight for it (one each, same index). */
export interface ModelFlight {
  readonly id: number;
  readonly key: string;
  readonly background: boolean;
  readonly startedAt: number;
  /** The key's invalidation epoch and backend version when the load began. */
  readonly startEpoch: number;
  readonly version: number;
  readonly timeoutAt: number | undefined;
  readonly callers: ModelCaller[];
  pinned: boolean;
  hasCallers: boolean;
  leavable: number;
  /** Decided outcome; `undefined` while the flight is unsettled. */
  outcome: Expected | undefined;
  /** Why the cache aborted the signal it gave the source, if it did. */
  sourceAbort: Expected | undefined;
  /** Settled at the source (the cache may not have seen it yet). */
  sourceSettled: boolean;
  /** When, and at which step, the cache saw the source's result. */
  deliveredAt: number | undefined;
  deliveredSeq: number | undefined;
}

/** The model of one `get` call. */
export interface ModelCaller {
  readonly id: number;
  readonly key: string;
  readonly controller: number | undefined;
  readonly startedAt: number;
  readonly startSeq: number;
  readonly startEpoch: number;
  /** The backend version at the key's last invalidation before this call. */
  readonly versionFloor: number;
  how: 'hit' | 'stale' | 'joined' | 'started' | 'rejected';
  flight: ModelFlight | undefined;
  /** Still listening to its signal (joined with one, outcome not yet delivered to it). */
  attached: boolean;
  expected: Expected | undefined;
}
