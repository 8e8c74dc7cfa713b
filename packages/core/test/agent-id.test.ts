import { describe, expect, it } from 'vitest';
import { AgentId, InvalidIdError, isInvalidIdError, SessionId } from '../src/index.js';

const TEXT = '6f9619ff-8b86-d011-b42d-00cf4fc964ff';

describe('AgentId', () => {
  describe('fromBytes()', () => {
    it('accepts any 16 bytes, such as sixteen 0x01 bytes', () => {
      expect(AgentId.fromBytes(new Uint8Array(16).fill(1))).toBe(
        '01010101-0101-0101-0101-010101010101',
      );
    });

    it('round-trips through toBytes()', () => {
      const bytes = Uint8Array.from({ length: 16 }, (_, index) => index * 17);
      expect(AgentId.toBytes(AgentId.fromBytes(bytes))).toEqual(bytes);
    });

    it('gives equal bytes the same `===` id, usable as a Map key', () => {
      const first = AgentId.fromBytes(new Uint8Array(16).fill(0xab));
      const second = AgentId.fromBytes(new Uint8Array(16).fill(0xab));
      expect(first === second).toBe(true);
      expect(new Map([[first, 'policy']]).get(second)).toBe('policy');
    });

    it.each([
      ['15 bytes', new Uint8Array(15)],
      ['17 bytes', new Uint8Array(17)],
      ['no bytes', new Uint8Array(0)],
      ['a plain array', Array.from({ length: 16 }, () => 1)],
      ['a Uint16Array', new Uint16Array(16)],
      ['a string', TEXT],
      ['undefined', undefined],
    ])('rejects %s with a typed error', (_label, bytes) => {
      const attempt = () => AgentId.fromBytes(bytes as Uint8Array);
      expect(attempt).toThrow(InvalidIdError);
      expect(attempt).toThrow(/Expected AgentId bytes to be a Uint8Array of length 16, got/);
    });
  });

  describe('parse()', () => {
    it('accepts UUID text in any letter case and returns the lowercase id', () => {
      expect(AgentId.parse(TEXT.toUpperCase())).toBe(TEXT);
      expect(AgentId.parse('6F9619ff-8B86-d011-B42D-00cf4FC964fF')).toBe(TEXT);
    });

    it('equals the id built from the same bytes', () => {
      expect(AgentId.parse(TEXT)).toBe(AgentId.fromBytes(AgentId.toBytes(AgentId.parse(TEXT))));
    });

    it.each([
      ['empty text', ''],
      ['a missing digit', TEXT.slice(1)],
      ['an extra digit', `${TEXT}0`],
      ['a non-hex digit', TEXT.replace('6', 'g')],
      ['no hyphens', TEXT.replaceAll('-', '')],
      ['a misplaced hyphen', '6f9619f-f8b86-d011-b42d-00cf4fc964ff'],
      ['braces', `{${TEXT}}`],
      ['a urn prefix', `urn:uuid:${TEXT}`],
      ['surrounding whitespace', ` ${TEXT} `],
      ['a trailing newline', `${TEXT}\n`],
      ['a number', 42],
      ['null', null],
      ['bytes', new Uint8Array(16)],
    ])('rejects %s with a typed error', (_label, text) => {
      const attempt = () => AgentId.parse(text);
      expect(attempt).toThrow(InvalidIdError);
      expect(attempt).toThrow(/Expected AgentId text to be a UUID \(8-4-4-4-12 hex digits\), got/);
    });

    it('says what it was given, truncating long input', () => {
      expect(() => AgentId.parse('x'.repeat(10_000))).toThrow(/string of length 10000/);
    });
  });

  describe('toBytes()', () => {
    it('rejects a string forged into an AgentId by a cast', () => {
      expect(() => AgentId.toBytes('not-an-id' as AgentId)).toThrow(InvalidIdError);
      expect(() => AgentId.toBytes(TEXT.toUpperCase() as AgentId)).toThrow(InvalidIdError);
    });

    it('returns a fresh array the caller may change', () => {
      const id = AgentId.parse(TEXT);
      AgentId.toBytes(id).fill(0);
      expect(AgentId.toBytes(id)[0]).toBe(0x6f);
    });
  });

  describe('is()', () => {
    it('recognises canonical ids only', () => {
      expect(AgentId.is(TEXT)).toBe(true);
      expect(AgentId.is(TEXT.toUpperCase())).toBe(false);
      expect(AgentId.is(42)).toBe(false);
    });
  });

  describe('schema', () => {
    it('parses UUID text at the edges into a lowercase id', () => {
      expect(AgentId.schema.parse(TEXT.toUpperCase())).toBe(TEXT);
    });

    it('reports malformed text as a zod issue', () => {
      const result = AgentId.schema.safeParse('nope');
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/Expected AgentId text to be a UUID/);
    });
  });

  describe('InvalidIdError', () => {
    it('carries a stable code and the id type, recognised without instanceof', () => {
      try {
        SessionId.parse('nope');
        expect.unreachable();
      } catch (error) {
        expect(isInvalidIdError(error)).toBe(true);
        expect(error).toBeInstanceOf(TypeError);
        expect(error).toMatchObject({ code: 'AA_INVALID_ID', idType: 'SessionId' });
      }
      expect(isInvalidIdError(new TypeError('other'))).toBe(false);
    });
  });
});
