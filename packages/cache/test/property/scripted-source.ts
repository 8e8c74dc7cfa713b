import type { CacheSource, LoadOptions } from '@aa/core';
import type { LoadedValue } from './presets.js';

/** One call to {@link ScriptedSource.load}, settled only when the scenario says so. */
export interface SourceLoad {
  readonly index: number;
  readonly key: string;
  /** What the load returns if it is resolved: the backend's version when it began. */
  readonly value: LoadedValue;
  readonly signal: AbortSignal | undefined;
  state: 'pending' | 'resolved' | 'rejected';
  /** The error it was rejected with. */
  error: unknown;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * A backend with a version per key, behind a source whose every load waits
 * until the scenario resolves or rejects it (or never does: it hangs).
 */
export class ScriptedSource implements CacheSource<string, LoadedValue> {
  readonly loads: SourceLoad[] = [];
  readonly #versions: (key: string) => number;
  readonly #onLoad: (load: SourceLoad) => void;

  /**
   * @param versions - the backend's current version of a key.
   * @param onLoad - called synchronously inside every `load`, once it is recorded.
   */
  constructor(versions: (key: string) => number, onLoad: (load: SourceLoad) => void) {
    this.#versions = versions;
    this.#onLoad = onLoad;
  }

  load(key: string, options?: LoadOptions): Promise<LoadedValue> {
    const index = this.loads.length;
    const value: LoadedValue = Object.freeze({ key, version: this.#versions(key), load: index });
    const promise = new Promise<LoadedValue>((resolve, reject) => {
      const load: SourceLoad = {
        index,
        key,
        value,
        signal: options?.signal,
        state: 'pending',
        error: undefined,
        resolve() {
          load.state = 'resolved';
          resolve(value);
        },
        reject(error: unknown) {
          load.state = 'rejected';
          load.error = error;
          reject(error);
        },
      };
      this.loads.push(load);
    });
    this.#onLoad(this.loads[index] as SourceLoad);
    return promise;
  }

  /** Loads not yet settled at the source, hanging or aborted ones included, oldest first. */
  pending(): SourceLoad[] {
    return this.loads.filter((load) => load.state === 'pending');
  }
}
