/** The invalidation transports the bench compares. */
export type Transport = 'postgres' | 'redis' | 'gateway';

/** Every transport, in report order. */
export const TRANSPORTS: readonly Transport[] = ['postgres', 'redis', 'gateway'];

/** What each transport is called in the report. */
export const TRANSPORT_LABELS: Readonly<Record<Transport, string>> = {
  postgres: 'PostgreSQL LISTEN/NOTIFY',
  redis: 'Redis Streams',
  gateway: 'Agent Assembly gateway (gRPC)',
};

/** Parent → listener: load `id` into the cache (`prime`), read it (`get`), or shut down. */
export type ToListener =
  | { readonly type: 'prime'; readonly id: string }
  | { readonly type: 'get'; readonly id: string }
  | { readonly type: 'close' };

/** Listener → parent. Times are wall-clock milliseconds with sub-millisecond precision. */
export type FromListener =
  | { readonly type: 'ready' }
  | { readonly type: 'primed'; readonly id: string; readonly version: number }
  | { readonly type: 'got'; readonly id: string; readonly version: number }
  | {
      readonly type: 'invalidated';
      readonly id: string;
      readonly at: number;
      /** Whether the cache held an entry for the agent (it was primed, so it should). */
      readonly hadEntry: boolean;
    }
  | { readonly type: 'cleared'; readonly at: number }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'error'; readonly message: string };

/** The environment variables the parent hands the listener. */
export interface ListenerEnv {
  readonly AA_BENCH_TRANSPORT: Transport;
  readonly AA_BENCH_SCHEMA: string;
  readonly AA_BENCH_STREAM_KEY: string;
  /** The gateway's URL (`http://127.0.0.1:<port>`), for the `gateway` transport. */
  readonly AA_BENCH_GATEWAY_URL: string;
}

/**
 * Now, in wall-clock milliseconds with `performance.now()`'s resolution: both
 * processes read the same system clock, so their readings can be subtracted.
 */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}
