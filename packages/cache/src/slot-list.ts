/** The sentinel slot: the list's head and tail both hang off it, so no link is ever null. */
export const NO_SLOT = 0;

/**
 * An intrusive, circular doubly linked list of slot numbers over two
 * `Uint32Array`s: O(1) append, unlink and move-to-back with no allocation and
 * nothing for the garbage collector to trace. Slot 0 is the sentinel, so real
 * slots are 1..capacity.
 *
 * Reads of the typed arrays are cast to `number`: every slot handled here is in
 * bounds by construction, which `noUncheckedIndexedAccess` cannot know.
 */
export class SlotList {
  #next: Uint32Array;
  #prev: Uint32Array;

  constructor(capacity: number) {
    this.#next = new Uint32Array(capacity + 1);
    this.#prev = new Uint32Array(capacity + 1);
  }

  /** Makes room for slots up to `capacity`, keeping every link. */
  grow(capacity: number): void {
    const next = new Uint32Array(capacity + 1);
    const prev = new Uint32Array(capacity + 1);
    next.set(this.#next);
    prev.set(this.#prev);
    this.#next = next;
    this.#prev = prev;
  }

  /** The first slot, or {@link NO_SLOT} when the list is empty. */
  get first(): number {
    return this.#next[NO_SLOT] as number;
  }

  /** Appends `slot`, which must not be in the list. */
  pushBack(slot: number): void {
    const last = this.#prev[NO_SLOT] as number;
    this.#next[last] = slot;
    this.#prev[slot] = last;
    this.#next[slot] = NO_SLOT;
    this.#prev[NO_SLOT] = slot;
  }

  /** Unlinks `slot`, which must be in the list. */
  remove(slot: number): void {
    const prev = this.#prev[slot] as number;
    const next = this.#next[slot] as number;
    this.#next[prev] = next;
    this.#prev[next] = prev;
  }

  /** Moves `slot`, which must be in the list, to the back. */
  moveToBack(slot: number): void {
    if (this.#prev[NO_SLOT] === slot) return;
    this.remove(slot);
    this.pushBack(slot);
  }

  /** Empties the list without touching the slots' stale links. */
  clear(): void {
    this.#next[NO_SLOT] = NO_SLOT;
    this.#prev[NO_SLOT] = NO_SLOT;
  }
}
