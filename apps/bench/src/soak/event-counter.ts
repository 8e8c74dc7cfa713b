import diagnosticsChannel from 'node:diagnostics_channel';
import { CACHE_CHANNELS } from '@aa/cache';

/** Counts every event the cache publishes, and those after dispose() apart. */
export class EventCounter {
  readonly #counts = new Map<string, number>();
  readonly #unsubscribe: (() => void)[] = [];
  loadStarts = 0;
  afterDispose = 0;
  disposed = false;

  constructor() {
    const plain = [
      CACHE_CHANNELS.loadTimeout,
      CACHE_CHANNELS.failSafe,
      CACHE_CHANNELS.evict,
      CACHE_CHANNELS.invalidate,
      CACHE_CHANNELS.clear,
    ];
    for (const name of plain) {
      const onMessage = () => this.#count(name);
      diagnosticsChannel.subscribe(name, onMessage);
      this.#unsubscribe.push(() => diagnosticsChannel.unsubscribe(name, onMessage));
    }
    const load = diagnosticsChannel.tracingChannel(CACHE_CHANNELS.load);
    const handlers = {
      start: () => {
        this.loadStarts++;
        this.#count(CACHE_CHANNELS.load);
      },
      end: () => undefined,
      asyncStart: () => undefined,
      asyncEnd: () => undefined,
      error: () => undefined,
    };
    load.subscribe(handlers);
    this.#unsubscribe.push(() => load.unsubscribe(handlers));
  }

  #count(name: string): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
    if (this.disposed) this.afterDispose++;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  close(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
  }
}
