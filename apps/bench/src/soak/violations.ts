/** How many violations are kept word for word; the rest are only counted. */
export const MAX_VIOLATION_SAMPLES = 20;

/** Broken invariants, counted by kind, the first few kept with their details. */
export class Violations {
  readonly #byKind = new Map<string, number>();
  readonly #samples: string[] = [];
  #total = 0;

  /** Records one violation of `kind`, described by `detail` (one short line). */
  record(kind: string, detail: string): void {
    this.#total++;
    this.#byKind.set(kind, (this.#byKind.get(kind) ?? 0) + 1);
    if (this.#samples.length < MAX_VIOLATION_SAMPLES) this.#samples.push(`${kind}: ${detail}`);
  }

  get total(): number {
    return this.#total;
  }

  /** Counts by kind, most frequent first. */
  byKind(): [kind: string, count: number][] {
    return [...this.#byKind].sort((a, b) => b[1] - a[1]);
  }

  /** The first {@link MAX_VIOLATION_SAMPLES} violations, in order. */
  samples(): readonly string[] {
    return this.#samples;
  }
}
