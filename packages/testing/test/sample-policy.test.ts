import { parsePolicyDocument } from '@aa/core';
import { describe, expect, it } from 'vitest';
import { samplePolicy } from '../src/index.js';

describe('samplePolicy()', () => {
  it('builds a document at the given version, named after it, with rules', () => {
    const policy = samplePolicy(7);
    expect(policy.version).toBe(7);
    expect(policy.name).toBe('sample-v7');
    expect(policy.enforcement_mode).toBe('enforce');
    expect(policy.rules.length).toBeGreaterThanOrEqual(1);
  });

  it('builds a valid document that survives parsePolicyDocument unchanged', () => {
    const policy = samplePolicy(3);
    expect(parsePolicyDocument(structuredClone(policy))).toEqual(policy);
  });

  it('returns a deeply frozen document', () => {
    const policy = samplePolicy(1);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.rules)).toBe(true);
    expect(policy.rules.every((rule) => Object.isFrozen(rule))).toBe(true);
  });

  it('returns equal but distinct objects for the same version, and unequal ones across versions', () => {
    expect(samplePolicy(2)).toEqual(samplePolicy(2));
    expect(samplePolicy(2)).not.toBe(samplePolicy(2));
    expect(samplePolicy(2)).not.toEqual(samplePolicy(3));
  });

  it('accepts the whole u32 range', () => {
    expect(samplePolicy(0).version).toBe(0);
    expect(samplePolicy(0xffff_ffff).version).toBe(0xffff_ffff);
  });

  it.each([
    [-1, '`-1` (number)'],
    [1.5, '`1.5` (number)'],
    [2 ** 32, '`4294967296` (number)'],
    [Number.NaN, '`NaN` (number)'],
  ])('rejects version %s with a TypeError, not a Serialization error', (version, shown) => {
    expect(() => samplePolicy(version)).toThrow(TypeError);
    expect(() => samplePolicy(version)).toThrow(
      `Expected \`version\` to be an integer in 0..4294967295, got ${shown}`,
    );
  });
});
