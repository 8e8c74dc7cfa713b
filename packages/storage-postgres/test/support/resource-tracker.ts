import { createHook } from 'node:async_hooks';

const TRACKED = new Set(['Timeout', 'TCPWRAP', 'TCPCONNECTWRAP', 'PIPEWRAP', 'Immediate']);

/**
 * Records the timers and sockets created between `start()` and `stopRecording()`
 * and reports those of them still alive, unref'd ones included, which
 * `process.getActiveResourcesInfo()` does not list. Destructions are watched
 * until `dispose()`, since Node reports them a little after the fact.
 */
export class ResourceTracker {
  readonly #alive = new Map<number, string>();
  #recording = false;
  readonly #hook = createHook({
    init: (asyncId, type) => {
      if (this.#recording && TRACKED.has(type)) this.#alive.set(asyncId, type);
    },
    destroy: (asyncId) => {
      this.#alive.delete(asyncId);
    },
  });

  start(): this {
    this.#recording = true;
    this.#hook.enable();
    return this;
  }

  /** Stops recording new resources; keeps watching the recorded ones die. */
  stopRecording(): void {
    this.#recording = false;
  }

  dispose(): void {
    this.#hook.disable();
  }

  /** Types of the recorded resources not destroyed yet, sorted. */
  alive(): string[] {
    return [...this.#alive.values()].sort();
  }
}
