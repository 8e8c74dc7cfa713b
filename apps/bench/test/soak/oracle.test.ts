import { CacheDisposedError, LoadTimeoutError } from '@aa/cache';
import { StorageError } from '@aa/core';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/lib/prng.js';
import { KeySpace } from '../../src/soak/key-space.js';
import {
  type Answer,
  type GetStart,
  Oracle,
  type OracleLimits,
  SoakAbort,
} from '../../src/soak/oracle.js';
import { Violations } from '../../src/soak/violations.js';

const limits: OracleLimits = {
  ttlMs: 100,
  ttlJitter: 0.2,
  staleWindowMs: 50,
  notFoundTtlMs: 30,
  loadTimeoutMs: 100,
  waitSlackMs: 50,
  maxClockLagMs: 500,
};
/** TTL + jitter + stale window: the oldest a value may be served. */
const MAX_AGE = 170;
const KNOWN = 0;
const UNKNOWN = 4;

/** An oracle over a small key space, at time 1,000 on both clocks. */
function setup() {
  const keys = new KeySpace(10, new SeededRandom(1));
  const violations = new Violations();
  const oracle = new Oracle(keys, limits, violations);
  const start = (key: number, overrides: Partial<GetStart> = {}): GetStart => ({
    key,
    at: 1_000,
    onClock: 1_000,
    requiredSequence: keys.requiredSequence(key),
    floor: keys.floor(key),
    abortReason: undefined,
    ...overrides,
  });
  /** Registers an answer of the source and returns the object answered. */
  const answer = <T extends object>(object: T, record: Partial<Answer> & { key: number }): T => {
    oracle.answered(object, {
      calledAt: keys.next(),
      answeredAt: 1_000,
      answeredOnClock: 1_000,
      version: keys.version(record.key),
      kind: 'value',
      ...record,
    });
    return object;
  };
  const kinds = () => violations.byKind().map(([kind]) => kind);
  return { keys, oracle, start, answer, kinds, violations };
}

describe('Oracle', () => {
  describe('values', () => {
    it('accepts a fresh value of the right key from a load begun after the last invalidation', () => {
      const { oracle, start, answer, kinds, keys } = setup();
      keys.invalidated(KNOWN);
      const value = answer({}, { key: KNOWN });
      expect(oracle.resolved(start(KNOWN), value, 1_001)).toBe('value');
      expect(kinds()).toEqual([]);
    });

    it('rejects a value whose load began before an invalidation that completed before the get', () => {
      const { oracle, start, answer, kinds, keys } = setup();
      const value = answer({}, { key: KNOWN });
      keys.invalidated(KNOWN);
      oracle.resolved(start(KNOWN), value, 1_001);
      expect(kinds()).toEqual(['invalidated-load-served']);
    });

    it('accepts that value for a get that started before the invalidation', () => {
      const { oracle, start, answer, kinds, keys } = setup();
      const value = answer({}, { key: KNOWN });
      const before = start(KNOWN);
      keys.invalidated(KNOWN);
      oracle.resolved(before, value, 1_001);
      expect(kinds()).toEqual([]);
    });

    it('rejects a version older than the one committed before the last clear', () => {
      const { oracle, start, answer, kinds, keys } = setup();
      keys.write(KNOWN);
      keys.cleared();
      // Begun after the clear, yet answering the version before the write.
      const value = answer({}, { key: KNOWN, version: 1 });
      oracle.resolved(start(KNOWN), value, 1_001);
      expect(kinds()).toEqual(['stale-version']);
    });

    it("judges age on the cache's clock: served past TTL + jitter + stale window is a violation", () => {
      const { oracle, start, answer, kinds } = setup();
      const value = answer({}, { key: KNOWN, answeredOnClock: 1_000 - MAX_AGE - 1 });
      oracle.resolved(start(KNOWN), value, 1_001);
      expect(kinds()).toEqual(['expired-value']);
    });

    it('accepts an age right at the limit, and measures real-time overshoot without failing', () => {
      const { oracle, start, answer, kinds } = setup();
      const value = answer(
        {},
        {
          key: KNOWN,
          answeredOnClock: 1_000 - MAX_AGE,
          answeredAt: 1_000 - MAX_AGE - 40,
        },
      );
      oracle.resolved(start(KNOWN), value, 1_001);
      expect(kinds()).toEqual([]);
      expect(oracle.overshoot).toMatchObject({ count: 1, maxMs: 40 });
    });

    it('rejects the value of another key, and one the source never answered', () => {
      const { oracle, start, answer, kinds } = setup();
      oracle.resolved(start(KNOWN), answer({}, { key: 1 }), 1_001);
      oracle.resolved(start(KNOWN), { forged: true }, 1_001);
      oracle.resolved(start(KNOWN), 'text', 1_001);
      expect(kinds().sort()).toEqual(['foreign-value', 'wrong-key']);
    });
  });

  describe('errors', () => {
    it('accepts NotFound for an unknown agent within notFoundTtlMs, not past it', () => {
      const { oracle, start, answer, kinds } = setup();
      const fresh = answer(StorageError.notFound('x'), {
        key: UNKNOWN,
        kind: 'notFound',
        answeredOnClock: 1_000 - 30,
      });
      expect(oracle.rejected(start(UNKNOWN), fresh, 1_001)).toBe('notFound');
      expect(kinds()).toEqual([]);
      const old = answer(StorageError.notFound('x'), {
        key: UNKNOWN,
        kind: 'notFound',
        answeredOnClock: 1_000 - 31,
      });
      oracle.rejected(start(UNKNOWN), old, 1_001);
      expect(kinds()).toEqual(['expired-not-found']);
    });

    it('rejects NotFound for a known agent', () => {
      const { oracle, start, answer, kinds } = setup();
      const error = answer(StorageError.notFound('x'), { key: KNOWN, kind: 'notFound' });
      oracle.rejected(start(KNOWN), error, 1_001);
      expect(kinds()).toEqual(['not-found-for-known-key']);
    });

    it('accepts a failure delivered to a get that was waiting, not to one that started later', () => {
      const { oracle, start, answer, kinds } = setup();
      const error = answer(StorageError.backend('x'), { key: KNOWN, kind: 'failure' });
      expect(oracle.rejected(start(KNOWN, { onClock: 990 }), error, 1_001)).toBe('backendError');
      expect(kinds()).toEqual([]);
      oracle.rejected(start(KNOWN, { onClock: 1_010 }), error, 1_011);
      expect(kinds()).toEqual(['error-cached']);
    });

    it('rejects a StorageError the source never answered', () => {
      const { oracle, start, kinds } = setup();
      oracle.rejected(start(KNOWN), StorageError.backend('forged'), 1_001);
      expect(kinds()).toEqual(['foreign-error']);
    });

    it('accepts a LoadTimeoutError of the key once, and rejects it served again later', () => {
      const { oracle, start, kinds, keys } = setup();
      const error = new LoadTimeoutError(keys.ids[KNOWN], 100);
      const now = performance.now();
      expect(oracle.rejected(start(KNOWN, { onClock: now - 100 }), error, 1_001)).toBe(
        'loadTimeout',
      );
      expect(kinds()).toEqual([]);
      oracle.rejected(start(KNOWN, { onClock: now + 1_000 }), error, 1_001);
      oracle.rejected(start(KNOWN), new LoadTimeoutError(keys.ids[1], 100), 1_001);
      expect(kinds().sort()).toEqual(['error-cached', 'wrong-key']);
    });

    it("accepts the caller's own abort reason, and rejects another caller's", () => {
      const { oracle, start, kinds } = setup();
      const own = new SoakAbort(1);
      expect(oracle.rejected(start(KNOWN, { abortReason: own }), own, 1_001)).toBe('aborted');
      expect(kinds()).toEqual([]);
      oracle.rejected(start(KNOWN, { abortReason: own }), new SoakAbort(2), 1_001);
      oracle.rejected(start(KNOWN), own, 1_001);
      expect(kinds()).toEqual(['foreign-abort']);
    });

    it('rejects CacheDisposedError until the cache is disposed', () => {
      const { oracle, start, kinds } = setup();
      oracle.rejected(start(KNOWN), new CacheDisposedError('soak'), 1_001);
      expect(kinds()).toEqual(['disposed-error']);
      oracle.disposed = true;
      expect(oracle.rejected(start(KNOWN), new CacheDisposedError('soak'), 1_001)).toBe('disposed');
      expect(kinds()).toEqual(['disposed-error']);
    });

    it('rejects anything else', () => {
      const { oracle, start, kinds } = setup();
      expect(oracle.rejected(start(KNOWN), new TypeError('boom'), 1_001)).toBe('unexpected');
      expect(oracle.rejected(start(KNOWN), 'boom', 1_001)).toBe('unexpected');
      expect(kinds()).toEqual(['unexpected-error']);
    });
  });

  describe('timing', () => {
    it('rejects a caller that waited past loadTimeoutMs + slack, once judged', () => {
      const { oracle, start, answer, kinds } = setup();
      const value = answer({}, { key: KNOWN });
      oracle.resolved(start(KNOWN), value, 1_000 + 150);
      oracle.resolved(start(KNOWN), value, 1_000 + 151);
      oracle.judgeSlowCallers(1_000 + 151);
      expect(kinds()).toEqual([]);
      oracle.judgeSlowCallers(Number.POSITIVE_INFINITY);
      expect(kinds()).toEqual(['slow-caller']);
    });

    it('excuses a wait that a timer stall meanwhile explains', () => {
      const keys = new KeySpace(10, new SeededRandom(1));
      const violations = new Violations();
      const lateBy = (from: number, to: number) => (from <= 2_000 && to >= 1_000 ? 200 : 0);
      const oracle = new Oracle(keys, limits, violations, lateBy);
      const start = (at: number): GetStart => ({
        key: KNOWN,
        at,
        onClock: at,
        requiredSequence: 0,
        floor: 0,
        abortReason: undefined,
      });
      oracle.rejected(start(1_000), new LoadTimeoutError(keys.ids[KNOWN], 100), 1_000 + 350);
      oracle.rejected(start(5_000), new LoadTimeoutError(keys.ids[KNOWN], 100), 5_000 + 350);
      oracle.judgeSlowCallers(Number.POSITIVE_INFINITY);
      expect(violations.byKind()).toEqual([['slow-caller', 1]]);
      expect(violations.samples()[0]).toContain('at 5000.0 ms');
    });

    it('rejects a cache clock that trails real time past the bound, and records the lag', () => {
      const { oracle, start, answer, kinds } = setup();
      const value = answer({}, { key: KNOWN, answeredOnClock: 400 });
      oracle.resolved(start(KNOWN, { onClock: 500, at: 1_000 }), value, 1_001);
      expect(kinds()).toEqual([]);
      oracle.resolved(start(KNOWN, { onClock: 499, at: 1_000 }), value, 1_001);
      expect(kinds()).toEqual(['clock-stalled']);
      expect(oracle.overshoot.maxClockLagMs).toBe(501);
    });
  });
});

describe('Violations', () => {
  it('counts by kind and keeps the first 20 word for word', () => {
    const violations = new Violations();
    for (let index = 0; index < 25; index++) violations.record(index < 5 ? 'a' : 'b', `#${index}`);
    expect(violations.total).toBe(25);
    expect(violations.byKind()).toEqual([
      ['b', 20],
      ['a', 5],
    ]);
    expect(violations.samples()).toHaveLength(20);
    expect(violations.samples()[0]).toBe('a: #0');
  });
});

describe('KeySpace', () => {
  it('holds distinct ids, one in five unknown, and tracks floors through writes and clears', () => {
    const keys = new KeySpace(1_000, new SeededRandom(2));
    expect(new Set(keys.ids).size).toBe(1_000);
    expect(keys.indexOf(keys.ids[123] as (typeof keys.ids)[number])).toBe(123);
    expect([0, 1, 2, 3, 4].map((key) => keys.version(key))).toEqual([1, 1, 1, 1, 0]);
    keys.write(0);
    keys.write(4);
    expect([keys.version(0), keys.version(4)]).toEqual([2, 0]);
    expect(keys.floor(0)).toBe(0);
    keys.cleared();
    expect(keys.floor(0)).toBe(2);
    const cleared = keys.requiredSequence(1);
    keys.invalidated(0);
    expect(keys.requiredSequence(0)).toBeGreaterThan(cleared);
    expect(keys.requiredSequence(1)).toBe(cleared);
  });
});
