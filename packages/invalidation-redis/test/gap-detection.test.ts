import { describe, expect, it } from 'vitest';
import { detectGap, type StreamInfo } from '../src/index.js';
import { parseStreamInfo } from '../src/stream-info.js';

/** A stream of Redis ≥ 7.0 holding entries `first..last` after `added` appends. */
function stream(overrides: Partial<StreamInfo>): StreamInfo {
  return {
    length: 3,
    lastGeneratedId: '100-2',
    firstEntryId: '100-0',
    entriesAdded: 3,
    maxDeletedEntryId: '0-0',
    ...overrides,
  };
}

describe('detectGap()', () => {
  it('finds no gap while the entry at the position is still kept', () => {
    expect(detectGap(stream({ entriesAdded: 500 }), '100-0')).toEqual({ gap: false });
    expect(detectGap(stream({ entriesAdded: 500 }), '100-2')).toEqual({ gap: false });
  });

  it('finds a gap once the oldest kept entry is newer than the position and entries were removed', () => {
    expect(detectGap(stream({ entriesAdded: 500 }), '99-5')).toEqual({
      gap: true,
      reason: 'trimmed',
      resumeFrom: '100-2',
    });
  });

  it('compares ids numerically: 999-0 is older than 1000-0', () => {
    const info = stream({ firstEntryId: '1000-0', lastGeneratedId: '1000-5', entriesAdded: 9 });
    expect(detectGap(info, '999-0')).toMatchObject({ gap: true, reason: 'trimmed' });
    expect(detectGap(info, '1000-1')).toEqual({ gap: false });
  });

  it('finds no gap for a reader at 0-0 on a stream that never lost an entry', () => {
    expect(detectGap(stream({}), '0-0')).toEqual({ gap: false });
  });

  it('finds a gap for a reader at 0-0 once entries were removed', () => {
    expect(detectGap(stream({ entriesAdded: 4 }), '0-0')).toMatchObject({ reason: 'trimmed' });
  });

  it('is conservative before Redis 7.0, where the counters are missing', () => {
    const old = stream({ entriesAdded: undefined, maxDeletedEntryId: undefined });
    expect(detectGap(old, '0-0')).toMatchObject({ gap: true, reason: 'trimmed' });
    expect(detectGap(old, '100-1')).toEqual({ gap: false });
  });

  it('treats an untrimmed stream without the position in it as re-created', () => {
    expect(detectGap(stream({}), '50-0')).toMatchObject({ gap: true, reason: 'stream-reset' });
  });

  it('treats a position newer than the newest id as a re-created stream', () => {
    expect(detectGap(stream({ entriesAdded: 500 }), '200-0')).toEqual({
      gap: true,
      reason: 'stream-reset',
      resumeFrom: '100-2',
    });
  });

  describe('an empty stream', () => {
    const empty = stream({ length: 0, firstEntryId: undefined, entriesAdded: 3 });

    it('has a gap when entries newer than the position were generated and removed', () => {
      expect(detectGap(empty, '100-1')).toMatchObject({ gap: true, reason: 'trimmed' });
    });

    it('has none when the position is its newest id', () => {
      expect(detectGap(empty, '100-2')).toEqual({ gap: false });
    });
  });

  it('finds a gap when an entry after the position was XDEL-ed (Redis ≥ 7.0)', () => {
    const info = stream({ entriesAdded: 500, maxDeletedEntryId: '100-1' });
    expect(detectGap(info, '100-0')).toMatchObject({ gap: true, reason: 'deleted' });
    expect(detectGap(info, '100-1')).toEqual({ gap: false });
  });

  describe('a missing stream key', () => {
    it('is a gap for a reader that had a position, resuming from 0-0', () => {
      expect(detectGap(undefined, '100-0')).toEqual({
        gap: true,
        reason: 'stream-missing',
        resumeFrom: '0-0',
      });
    });

    it('is no gap for a reader that never had one', () => {
      expect(detectGap(undefined, '0-0')).toEqual({ gap: false });
    });
  });
});

describe('parseStreamInfo()', () => {
  it('reads a Redis 7 XINFO STREAM reply', () => {
    const reply = [
      'length',
      2,
      'radix-tree-keys',
      1,
      'radix-tree-nodes',
      2,
      'last-generated-id',
      '1000-1',
      'max-deleted-entry-id',
      '0-0',
      'entries-added',
      250,
      'recorded-first-entry-id',
      '1000-0',
      'groups',
      0,
      'first-entry',
      ['1000-0', ['op', 'clear']],
      'last-entry',
      ['1000-1', ['op', 'clear']],
    ];
    expect(parseStreamInfo(reply)).toEqual({
      length: 2,
      lastGeneratedId: '1000-1',
      firstEntryId: '1000-0',
      entriesAdded: 250,
      maxDeletedEntryId: '0-0',
    });
  });

  it('reads an empty stream, and a Redis 6 reply without the counters', () => {
    const reply = [
      'length',
      0,
      'last-generated-id',
      '5-0',
      'first-entry',
      null,
      'last-entry',
      null,
    ];
    expect(parseStreamInfo(reply)).toEqual({
      length: 0,
      lastGeneratedId: '5-0',
      firstEntryId: undefined,
      entriesAdded: undefined,
      maxDeletedEntryId: undefined,
    });
  });

  it.each([
    null,
    'OK',
    ['length'],
    ['length', 1, 'last-generated-id', '5-0', 'first-entry', null],
    ['length', -1, 'last-generated-id', '5-0'],
  ])('rejects %j', (reply) => {
    expect(parseStreamInfo(reply)).toBeUndefined();
  });
});
