/** The value every load produces: small, and naming the key it was loaded for. */
export interface TestValue {
  readonly key: string;
  readonly version: number;
}

/** Builds a {@link TestValue}: the one place its shape is written, so all share a hidden class. */
export function makeValue(key: string, version: number): TestValue {
  return { key, version };
}

/** The error a failing {@link TestSource} rejects with. */
export class TestLoadError extends Error {
  override readonly name = 'TestLoadError';
}

/** How a {@link TestSource} behaves. */
export interface TestSourceOptions {
  /** Each load settles after this many milliseconds; 0 settles at once (next microtask). */
  readonly delayMs?: number;
  /** Each load rejects with a {@link TestLoadError} instead of resolving. */
  readonly fail?: boolean;
}

/**
 * The system of record behind every peer: counts the loads that reach it and
 * remembers when the latest one settled, which the burst workloads need for
 * the tail after the load.
 */
export class TestSource {
  /** Loads started since construction or the last {@link reset}. */
  loads = 0;
  /** `performance.now()` when the latest load settled; `NaN` before any has. */
  lastSettledAt = Number.NaN;
  readonly #delayMs: number;
  readonly #fail: boolean;

  constructor(options: TestSourceOptions = {}) {
    this.#delayMs = options.delayMs ?? 0;
    this.#fail = options.fail ?? false;
  }

  /** Forgets the loads counted so far. */
  reset(): void {
    this.loads = 0;
    this.lastSettledAt = Number.NaN;
  }

  /** The load function handed to the peer; bound, so it can be passed around. */
  readonly load = (key: string): Promise<TestValue> => {
    const version = ++this.loads;
    if (this.#delayMs === 0 && !this.#fail) return Promise.resolve(makeValue(key, version));
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        this.lastSettledAt = performance.now();
        if (this.#fail) reject(new TestLoadError(`load of ${key} failed`));
        else resolve(makeValue(key, version));
      }, this.#delayMs);
    });
  };
}
