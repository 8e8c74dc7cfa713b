import {
  answerSafetyViolation,
  type JudgedGet,
  type JudgedLoad,
} from '@aa/test-infra/answer-safety';
import { describe, expect, it } from 'vitest';

const get: JudgedGet<string> = { key: 'a', startedAt: 100, loadsFrom: 3, versionFloor: 2 };
const load: JudgedLoad<string> = {
  key: 'a',
  began: 3,
  version: 2,
  deliveredAt: 50,
  fromMemory: true,
  servableForMs: 60,
};
const rule = (changes: Partial<JudgedLoad<string>>, toleranceMs?: number) =>
  answerSafetyViolation(get, { ...load, ...changes }, toleranceMs)?.rule;

describe('answerSafetyViolation()', () => {
  it('accepts an answer of the key, from a load begun since the invalidation, within its window', () => {
    expect(rule({})).toBeUndefined();
  });

  it("rejects another key's answer", () => {
    expect(rule({ key: 'b' })).toBe('wrong-key');
  });

  it('rejects the answer of a load begun before the invalidation the get must see', () => {
    expect(rule({ began: 2 })).toBe('invalidated-load-served');
  });

  it('rejects a value older than the version current at that invalidation, not a rejection', () => {
    expect(rule({ version: 1 })).toBe('stale-version');
    expect(rule({ version: undefined })).toBeUndefined();
  });

  it('rejects an answer served from memory once its window has ended, with the tolerance given', () => {
    expect(rule({ servableForMs: 50 })).toBe('expired');
    expect(rule({ servableForMs: 49.9995 }, 0.001)).toBeUndefined();
    expect(rule({ servableForMs: 0 })).toBe('expired');
  });

  it('does not age an answer the get waited for, nor one not yet delivered', () => {
    expect(rule({ servableForMs: 0, fromMemory: false })).toBeUndefined();
    expect(rule({ servableForMs: 0, deliveredAt: undefined })).toBeUndefined();
  });
});
