import { describe, expect, it } from 'vitest';
import { isStorageError, parsePolicyDocument } from '../src/index.js';

const valid = {
  version: 3,
  name: 'default',
  rules: [{ actionPattern: 'tools.*', decision: 'allow' }],
  enforcementMode: 'observe',
};

function parseError(input: unknown, subject?: string) {
  try {
    parsePolicyDocument(input, subject);
  } catch (error) {
    if (isStorageError(error, 'Serialization')) return error;
    throw error;
  }
  throw new Error('expected a Serialization error');
}

describe('parsePolicyDocument()', () => {
  it('returns the document', () => {
    expect(parsePolicyDocument(valid)).toEqual(valid);
  });

  it("defaults enforcementMode to 'enforce' when absent", () => {
    const { enforcementMode: _, ...withoutMode } = valid;
    expect(parsePolicyDocument(withoutMode).enforcementMode).toBe('enforce');
  });

  it('accepts the whole u32 range for version', () => {
    expect(parsePolicyDocument({ ...valid, version: 0 }).version).toBe(0);
    expect(parsePolicyDocument({ ...valid, version: 0xffff_ffff }).version).toBe(0xffff_ffff);
  });

  it('returns a deeply frozen copy that shares nothing with the input', () => {
    const input = structuredClone(valid);
    const policy = parsePolicyDocument(input);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.rules)).toBe(true);
    expect(Object.isFrozen(policy.rules[0])).toBe(true);
    input.rules[0] = { actionPattern: 'changed', decision: 'deny' };
    expect(policy.rules[0]?.actionPattern).toBe('tools.*');
  });

  it.each([
    ['a missing version', { ...valid, version: undefined }, '`version`'],
    ['a string version', { ...valid, version: '3' }, '`version`'],
    ['a fractional version', { ...valid, version: 1.5 }, '`version`'],
    ['a negative version', { ...valid, version: -1 }, '`version`'],
    ['a version past u32', { ...valid, version: 2 ** 32 }, '`version`'],
    ['a missing name', { ...valid, name: undefined }, '`name`'],
    ['rules that are not an array', { ...valid, rules: {} }, '`rules`'],
    [
      'an unknown decision',
      { ...valid, rules: [{ actionPattern: 'a', decision: 'maybe' }] },
      '`rules[0].decision`',
    ],
    [
      'a rule without a pattern',
      { ...valid, rules: [{ decision: 'deny' }] },
      '`rules[0].actionPattern`',
    ],
    ['an unknown enforcement mode', { ...valid, enforcementMode: 'loud' }, '`enforcementMode`'],
    ['an extra field', { ...valid, owner: 'mallory' }, 'owner'],
    [
      'snake_case fields',
      { version: 1, name: 'n', rules: [], enforcement_mode: 'enforce' },
      'enforcement_mode',
    ],
    ['null', null, '`(document)`'],
    ['an array', [valid], '`(document)`'],
  ])('rejects %s as a Serialization error naming the field', (_label, input, field) => {
    const error = parseError(input);
    expect(error.code).toBe('AA_STORAGE_SERIALIZATION');
    expect(error.detail).toContain(field);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('names the subject the document belongs to', () => {
    expect(parseError({}, 'agent 42').detail).toMatch(/^malformed policy document of agent 42: /);
  });

  it('lists at most three issues and counts the rest', () => {
    expect(parseError({ a: 1, b: 2, c: 3, d: 4, e: 5 }).detail).toMatch(/and \d+ more$/);
  });

  it('rejects a __proto__ key without polluting any prototype', () => {
    const input: unknown = JSON.parse(
      '{"version":1,"name":"n","rules":[],"__proto__":{"polluted":true}}',
    );
    expect(parseError(input).detail).toContain('__proto__');
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});
