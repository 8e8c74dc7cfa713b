import { describe, expect, it } from 'vitest';
import { NO_SLOT, SlotLists } from '../src/slot-lists.js';

function contents(lists: SlotLists, list: number): number[] {
  const slots: number[] = [];
  lists.drain(list, (slot) => slots.push(slot));
  for (const slot of slots) lists.pushBack(list, slot);
  return slots;
}

describe('SlotLists', () => {
  it('keeps each list in order and apart from the others', () => {
    const lists = new SlotLists(2, 6);
    for (const slot of [0, 2, 4]) lists.pushBack(0, slot);
    for (const slot of [5, 3, 1]) lists.pushBack(1, slot);
    expect(contents(lists, 0)).toEqual([0, 2, 4]);
    expect(contents(lists, 1)).toEqual([5, 3, 1]);
    expect(lists.first(1)).toBe(5);
  });

  it('moves a slot to the back, and removes it, in O(1)', () => {
    const lists = new SlotLists(1, 4);
    for (const slot of [0, 1, 2, 3]) lists.pushBack(0, slot);
    lists.moveToBack(0, 1);
    lists.moveToBack(0, 1);
    lists.remove(2);
    lists.remove(2);
    expect(contents(lists, 0)).toEqual([0, 3, 1]);
  });

  it('reports an empty list as NO_SLOT, also after draining and clearing', () => {
    const lists = new SlotLists(1, 2);
    expect(lists.first(0)).toBe(NO_SLOT);
    lists.pushBack(0, 1);
    lists.drain(0, () => {});
    expect(lists.first(0)).toBe(NO_SLOT);
    lists.pushBack(0, 0);
    lists.clear();
    expect(lists.first(0)).toBe(NO_SLOT);
  });

  it('lets a drain visitor relink slots into the list being drained', () => {
    const lists = new SlotLists(1, 3);
    for (const slot of [0, 1, 2]) lists.pushBack(0, slot);
    const visited: number[] = [];
    lists.drain(0, (slot) => {
      visited.push(slot);
      if (slot !== 1) lists.pushBack(0, slot);
    });
    expect(visited).toEqual([0, 1, 2]);
    expect(contents(lists, 0)).toEqual([0, 2]);
  });

  it('keeps its links when it grows', () => {
    const lists = new SlotLists(1, 2);
    lists.pushBack(0, 1);
    lists.pushBack(0, 0);
    lists.grow(5);
    lists.pushBack(0, 4);
    expect(contents(lists, 0)).toEqual([1, 0, 4]);
  });
});
