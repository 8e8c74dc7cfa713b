/** What {@link SlotLists.first} returns for an empty list. */
export const NO_SLOT = -1;

/**
 * A fixed number of intrusive, circular, doubly linked lists of slot numbers,
 * sharing two `Uint32Array`s of links: O(1) append, unlink and move-to-back with
 * no allocation and nothing for the garbage collector to trace. A slot is in at
 * most one of the lists at a time.
 *
 * Node `i < lists` is list `i`'s sentinel; slot `s` is node `lists + s`, so no
 * link is ever null. Typed-array reads are cast to `number`: every node handled
 * here is in bounds by construction, which `noUncheckedIndexedAccess` cannot know.
 */
export class SlotLists {
  readonly #lists: number;
  #next: Uint32Array;
  #prev: Uint32Array;

  constructor(lists: number, capacity: number) {
    this.#lists = lists;
    this.#next = new Uint32Array(lists + capacity);
    this.#prev = new Uint32Array(lists + capacity);
    this.clear();
  }

  /** Makes room for slots `0..capacity - 1`, keeping every link. */
  grow(capacity: number): void {
    const next = new Uint32Array(this.#lists + capacity);
    const prev = new Uint32Array(this.#lists + capacity);
    next.set(this.#next);
    prev.set(this.#prev);
    this.#next = next;
    this.#prev = prev;
  }

  /** The first slot of `list`, or {@link NO_SLOT} when it is empty. */
  first(list: number): number {
    const node = this.#next[list] as number;
    return node < this.#lists ? NO_SLOT : node - this.#lists;
  }

  /** Appends `slot`, which must be in no list, to `list`. */
  pushBack(list: number, slot: number): void {
    const node = this.#lists + slot;
    const last = this.#prev[list] as number;
    this.#next[last] = node;
    this.#prev[node] = last;
    this.#next[node] = list;
    this.#prev[list] = node;
  }

  /** Unlinks `slot` from whatever list holds it. */
  remove(slot: number): void {
    const node = this.#lists + slot;
    const prev = this.#prev[node] as number;
    const next = this.#next[node] as number;
    this.#next[prev] = next;
    this.#prev[next] = prev;
    // Self-linked, a removed node can be removed again harmlessly.
    this.#next[node] = node;
    this.#prev[node] = node;
  }

  /** Moves `slot`, which must be in `list`, to its back. */
  moveToBack(list: number, slot: number): void {
    if (this.#prev[list] === this.#lists + slot) return;
    this.remove(slot);
    this.pushBack(list, slot);
  }

  /**
   * Empties `list` and calls `visit` with each slot it held, in order. The
   * list is detached before the first visit, so `visit` may link the slot into
   * any list, `list` included, or remove it.
   */
  drain(list: number, visit: (slot: number) => void): void {
    let node = this.#next[list] as number;
    this.#next[list] = list;
    this.#prev[list] = list;
    while (node !== list) {
      const following = this.#next[node] as number;
      this.#next[node] = node;
      this.#prev[node] = node;
      visit(node - this.#lists);
      node = following;
    }
  }

  /** Empties every list, without touching the slots' stale links. */
  clear(): void {
    for (let list = 0; list < this.#lists; list++) {
      this.#next[list] = list;
      this.#prev[list] = list;
    }
  }
}
