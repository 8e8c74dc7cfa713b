import type { LoadOptions } from '@aa/core';
import type { SignalWatch } from './abort-fan-out.js';
import type { Scheduler } from './scheduler.js';

/** What a {@link Flight} tells the cache that started it. */
export interface FlightOwner<K, V> {
  /** A caller left `flight` by aborting its signal. */
  callerLeft(flight: Flight<K, V>): void;
  /** The last caller left `flight` by aborting, with `reason`, and none that cannot leave remains. */
  abandoned(flight: Flight<K, V>, reason: unknown): void;
  /** `flight`'s outcome has just been decided. */
  settled(flight: Flight<K, V>): void;
}

/**
 * One load in flight: the outcome every caller of it shares, the callers that
 * may still leave, the `AbortSignal` handed to the source, and the timeout.
 *
 * The flight's promise is settled by the cache, not by the source, so that a
 * timeout, a dispose or a fail-safe fallback can decide the outcome; the first
 * settlement wins and later ones (a late result) are ignored.
 */
export class Flight<K, V> {
  /** The key being loaded. */
  readonly key: K;
  /** The outcome every caller without a signal receives; never unhandled. */
  readonly promise: Promise<V>;
  /** A background refresh: no caller asked for it, so callers leaving never cancel it. */
  readonly background: boolean;
  #resolve!: (value: V) => void;
  #reject!: (reason: unknown) => void;
  #settled = false;
  // Created on first use: most sources never read the signal, and an
  // AbortController costs microseconds on every load otherwise.
  #controller: AbortController | undefined;
  #abortReason: unknown;
  #aborted = false;
  /** What the source is handed: its `signal` materialises only if read. */
  readonly loadOptions: LoadOptions;
  #timer: unknown;
  #scheduler: Scheduler | undefined;
  /** Callers that joined with a signal and have not left. */
  #leavableCallers = 0;
  /** Whether a caller that cannot leave (no signal) joined, or the load is a refresh. */
  #pinned: boolean;
  #hasCallers = false;
  readonly #owner: FlightOwner<K, V>;

  /**
   * @param key - the key being loaded.
   * @param background - a refresh no caller waits for.
   * @param owner - told when callers leave.
   */
  constructor(key: K, background: boolean, owner: FlightOwner<K, V>) {
    this.key = key;
    this.background = background;
    this.#pinned = background;
    this.#owner = owner;
    const flight = this;
    this.loadOptions = {
      get signal() {
        return flight.signal;
      },
    };
    this.promise = new Promise<V>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Callers may all have left (or never come, for a refresh): a rejection
    // nobody awaits must still not be reported as unhandled.
    this.promise.catch(ignore);
  }

  /** The signal handed to the source; aborted when no one wants the result any more. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /** Whether any caller joined (a refresh may have none). */
  get hasCallers(): boolean {
    return this.#hasCallers;
  }

  /** Whether the outcome has been decided. */
  get settled(): boolean {
    return this.#settled;
  }

  /**
   * Adds a caller. Without a signal the caller gets {@link promise} itself (no
   * allocation) and pins the load. With one, the caller gets its own promise,
   * rejected with the signal's reason if it aborts first, or at once if it has
   * already aborted (a source's synchronous `load()` may have aborted it); the
   * load goes on for the others, and is abandoned when the last caller has left
   * this way.
   *
   * @param watch - the caller's signal, behind the one listener all its callers share.
   */
  join(watch: SignalWatch | undefined): Promise<V> {
    this.#hasCallers = true;
    if (watch === undefined) {
      this.#pinned = true;
      return this.promise;
    }
    this.#leavableCallers++;
    return new Promise<V>((resolve, reject) => {
      const leave = () => {
        const reason = watch.reason;
        reject(reason);
        this.#leavableCallers--;
        this.#owner.callerLeft(this);
        if (this.#leavableCallers === 0 && !this.#pinned && !this.#settled) {
          this.#owner.abandoned(this, reason);
        }
      };
      if (watch.aborted) {
        leave();
        return;
      }
      watch.add(leave);
      this.promise.then(
        (value) => {
          resolve(value);
          watch.delete(leave);
        },
        (error: unknown) => {
          reject(error);
          watch.delete(leave);
        },
      );
    });
  }

  /** Calls `onTimeout` after `ms`, on `scheduler`, unless the flight settles first. */
  startTimer(scheduler: Scheduler, ms: number, onTimeout: () => void): void {
    this.#scheduler = scheduler;
    this.#timer = scheduler.setTimeout(onTimeout, ms);
  }

  /** Fulfils every caller with `value`; returns false if the outcome was already decided. */
  resolve(value: V): boolean {
    if (!this.#finish()) return false;
    this.#resolve(value);
    return true;
  }

  /** Rejects every caller with `error`; returns false if the outcome was already decided. */
  reject(error: unknown): boolean {
    if (!this.#finish()) return false;
    this.#reject(error);
    return true;
  }

  /** Aborts the signal handed to the source with `reason`. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
  }

  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    if (this.#scheduler !== undefined) this.#scheduler.clearTimeout(this.#timer);
    this.#owner.settled(this);
    return true;
  }
}

function ignore(): void {}
