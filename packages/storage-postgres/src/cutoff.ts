/**
 * The moment a call is cut short (its deadline passed, or its caller
 * aborted), with the reason, and the one thing to do then. A lighter
 * `AbortController`: every read of the store creates one and attaches a
 * listener at each stage, and `EventTarget`'s listener bookkeeping cost more
 * than the rest of the call's own work together.
 */
export class Cutoff {
  #reason: unknown;
  #cut = false;
  #onCut: ((reason: unknown) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  /**
   * Cuts the call short after `timeoutMs` with "no answer within … ms"; the
   * timer is unref'd and cleared by {@link Cutoff.dispose}.
   */
  static after(timeoutMs: number): Cutoff {
    const cutoff = new Cutoff();
    cutoff.#timer = setTimeout(
      () => cutoff.cut(new Error(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    cutoff.#timer.unref();
    return cutoff;
  }

  /** Whether the call was cut short. */
  get isCut(): boolean {
    return this.#cut;
  }

  /** Why it was cut short. */
  get reason(): unknown {
    return this.#reason;
  }

  /** Cuts the call short, once: later calls do nothing. */
  cut(reason: unknown): void {
    if (this.#cut) return;
    this.#cut = true;
    this.#reason = reason;
    clearTimeout(this.#timer);
    const onCut = this.#onCut;
    this.#onCut = undefined;
    onCut?.(reason);
  }

  /**
   * What to do when cut short, replacing the stage before's; `undefined` for
   * nothing. Already cut, it is done at once: a cut that landed between two
   * stages is not lost.
   */
  whenCut(onCut: ((reason: unknown) => void) | undefined): void {
    if (this.#cut) {
      this.#onCut = undefined;
      onCut?.(this.#reason);
      return;
    }
    this.#onCut = onCut;
  }

  /** Clears the timer: the call is over. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#onCut = undefined;
  }
}
