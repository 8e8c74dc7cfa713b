import { describe, expect, it } from 'vitest';
import {
  checkChannelName,
  checkSchemaName,
  DEFAULT_PG_URL,
  pgUrlFromEnv,
  policyChannel,
} from '../src/index.js';

describe('checkSchemaName()', () => {
  it.each(['public', 'aa', '_x', 'tenant_42', 'a'.repeat(48)])('accepts %j', (name) => {
    expect(checkSchemaName(name)).toBe(name);
  });

  it.each([
    ['', '`""` (string)'],
    ['Public', '`"Public"` (string)'],
    ['1abc', '`"1abc"` (string)'],
    ['a-b', '`"a-b"` (string)'],
    ['a"; DROP SCHEMA public; --', '`"a\\"; DROP SCHEMA public; --"` (string)'],
    ['pg_temp', '`"pg_temp"` (string)'],
    ['a'.repeat(49), `\`"${'a'.repeat(49)}"\` (string)`],
    [undefined, '`undefined`'],
  ])('rejects %j with a TypeError saying what it got', (name, shown) => {
    expect(() => checkSchemaName(name)).toThrow(TypeError);
    expect(() => checkSchemaName(name)).toThrow(
      `Expected \`schema\` to be a lowercase SQL identifier ([a-z_][a-z0-9_]*, at most 48 characters, not starting with pg_), got ${shown}`,
    );
  });
});

describe('policyChannel()', () => {
  it('names one channel per schema, within the 63-byte limit for the longest schema', () => {
    expect(policyChannel('public')).toBe('aa_policies.public');
    expect(checkChannelName(policyChannel('a'.repeat(48)))).toHaveLength(60);
  });

  it.each(['', 'x'.repeat(64), 'é'.repeat(32), 'a\0b', 7])('rejects the channel %j', (channel) => {
    expect(() => checkChannelName(channel)).toThrow(
      /^Expected `channel` to be a string of 1 to 63 bytes without NUL, got /,
    );
  });

  it('accepts any other text, quoted where it is used', () => {
    expect(checkChannelName('Policy Changes"; --')).toBe('Policy Changes"; --');
  });
});

describe('pgUrlFromEnv()', () => {
  it('reads AA_PG_URL, falling back to the local default when unset or empty', () => {
    expect(pgUrlFromEnv({ AA_PG_URL: 'postgres://u@db:6543/x' })).toBe('postgres://u@db:6543/x');
    expect(pgUrlFromEnv({})).toBe(DEFAULT_PG_URL);
    expect(pgUrlFromEnv({ AA_PG_URL: '' })).toBe('postgres://postgres@127.0.0.1:5432/test');
  });
});
