import { abortReason, isAborted } from './get-options.js';

/**
 * The callers waiting on one `AbortSignal`, behind the one `abort` listener the
 * cache registers on it. Request-scoped signals are shared by every lookup of
 * the request; a listener per caller would trip Node's
 * `MaxListenersExceededWarning` at the eleventh.
 */
export class SignalWatch {
  /** The signal watched. */
  readonly signal: AbortSignal;
  readonly #callbacks = new Set<() => void>();
  readonly #onAbort = (): void => {
    this.#fanOut.forget(this);
    // A copy: a callback may re-enter the cache and join with this signal.
    for (const callback of [...this.#callbacks]) callback();
    this.#callbacks.clear();
  };
  readonly #fanOut: AbortFanOut;

  constructor(signal: AbortSignal, fanOut: AbortFanOut) {
    this.signal = signal;
    this.#fanOut = fanOut;
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Whether the signal has aborted. */
  get aborted(): boolean {
    return isAborted(this.signal);
  }

  /** Why the signal aborted. */
  get reason(): unknown {
    return abortReason(this.signal);
  }

  /** Calls `callback` when the signal aborts, unless {@link delete}d first. */
  add(callback: () => void): void {
    this.#callbacks.add(callback);
  }

  /** Forgets `callback`; the last one gone takes the listener with it. */
  delete(callback: () => void): void {
    if (!this.#callbacks.delete(callback) || this.#callbacks.size !== 0) return;
    this.#fanOut.forget(this);
    try {
      this.signal.removeEventListener('abort', this.#onAbort);
    } catch {
      // A signal whose own removeEventListener throws keeps a listener that
      // finds no callback left: harmless, and nothing a caller could act on.
    }
  }
}

/** One {@link SignalWatch} per signal, for as long as some caller waits on it. */
export class AbortFanOut {
  readonly #watches = new WeakMap<AbortSignal, SignalWatch>();

  /**
   * The watch of `signal`, registering its listener if there is none. Add a
   * callback to it before the caller's turn ends, or it stays registered until
   * the signal aborts.
   *
   * @throws whatever the signal's `addEventListener` throws.
   */
  watch(signal: AbortSignal): SignalWatch {
    let watch = this.#watches.get(signal);
    if (watch === undefined) {
      watch = new SignalWatch(signal, this);
      this.#watches.set(signal, watch);
    }
    return watch;
  }

  /** Drops `watch`, whose listener is gone. */
  forget(watch: SignalWatch): void {
    if (this.#watches.get(watch.signal) === watch) this.#watches.delete(watch.signal);
  }
}
