/** How often the probe fires, in ms. */
const PROBE_INTERVAL_MS = 10;
/** How much history is kept, in probes (30 s at 10 ms). */
const HISTORY = 3_000;

/**
 * Measures, over time, how long the event loop went without running timers: a
 * timer is re-armed every 10 ms, and the gap between two of its firings, less
 * those 10 ms, is a stall (a long turn, a GC pause, the process descheduled).
 * A stall delays the cache's load-timeout timers by as much, so a caller's
 * wait is judged against `loadTimeoutMs` plus the longest stall while it
 * waited, rather than failing the soak for the machine's load.
 */
export class TimerLateness {
  readonly #firedAt = new Float64Array(HISTORY);
  #count = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Starts probing; the probe timer is unref'd. */
  start(): void {
    this.stop();
    this.#firedAt[this.#count++ % HISTORY] = performance.now();
    this.#schedule();
  }

  /** Stops probing. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * The longest stall (gap between two probe firings, less the probe
   * interval) that overlaps `from`..`to` (`performance.now()` ms); 0 if none
   * is on record. A stall still going on at `to` is only known once it ends:
   * ask once `to` is well in the past.
   */
  longestStallBetween(from: number, to: number): number {
    let longest = 0;
    const oldest = Math.max(1, this.#count - HISTORY + 1);
    for (let index = this.#count - 1; index >= oldest; index--) {
      const firedAt = this.#firedAt[index % HISTORY] as number;
      if (firedAt < from) break;
      const previous = this.#firedAt[(index - 1) % HISTORY] as number;
      if (previous > to) continue;
      const stall = firedAt - previous - PROBE_INTERVAL_MS;
      if (stall > longest) longest = stall;
    }
    return longest;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#firedAt[this.#count++ % HISTORY] = performance.now();
      this.#schedule();
    }, PROBE_INTERVAL_MS);
    this.#timer.unref();
  }
}
