import { describe, expect, it } from 'vitest';
import { compareStreamIds, isStreamId } from '../src/index.js';

describe('compareStreamIds()', () => {
  it.each([
    ['999-0', '1000-0', -1],
    ['1000-0', '999-0', 1],
    ['5-9', '5-10', -1],
    ['5-10', '5-9', 1],
    ['7-3', '7-3', 0],
    ['007-3', '7-03', 0],
    ['0-0', '0-1', -1],
    ['18446744073709551615-0', '18446744073709551614-18446744073709551615', 1],
  ])('orders %s against %s numerically, not as text', (a, b, sign) => {
    expect(Math.sign(compareStreamIds(a, b))).toBe(sign);
  });
});

describe('isStreamId()', () => {
  it.each(['0-0', '1718000000000-0', '18446744073709551615-18446744073709551615'])(
    'accepts %s',
    (id) => {
      expect(isStreamId(id)).toBe(true);
    },
  );

  it.each([
    '$',
    '0',
    '-',
    '+',
    '1718000000000',
    '1-2-3',
    ' 1-2',
    '-1-0',
    '18446744073709551616-0',
    1,
    null,
  ])('rejects %j', (value) => {
    expect(isStreamId(value)).toBe(false);
  });
});
