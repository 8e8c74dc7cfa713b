import { describe, expect, it } from 'vitest';
import { sequenceGap } from '../src/sequence.js';

describe('sequenceGap()', () => {
  it('accepts the next number, and any number when none is known yet', () => {
    expect(sequenceGap(7, 8)).toBeUndefined();
    expect(sequenceGap(undefined, 1)).toBeUndefined();
    expect(sequenceGap(undefined, 900)).toBeUndefined();
  });
  it('calls a number at or below the last a restart', () => {
    expect(sequenceGap(7, 7)).toBe('sequence-restart');
    expect(sequenceGap(7, 1)).toBe('sequence-restart');
  });
  it('calls a number past the next one a jump', () => {
    expect(sequenceGap(7, 9)).toBe('sequence-jump');
    expect(sequenceGap(0, 2)).toBe('sequence-jump');
  });
});
