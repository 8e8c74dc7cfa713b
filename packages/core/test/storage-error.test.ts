import { describe, expect, it } from 'vitest';
import { isStorageError, STORAGE_ERROR_CODES, StorageError } from '../src/index.js';

describe('StorageError', () => {
  it.each([
    ['NotFound', StorageError.notFound, 'AA_STORAGE_NOT_FOUND'],
    ['Backend', StorageError.backend, 'AA_STORAGE_BACKEND'],
    ['Serialization', StorageError.serialization, 'AA_STORAGE_SERIALIZATION'],
    ['Conflict', StorageError.conflict, 'AA_STORAGE_CONFLICT'],
  ] as const)('builds a %s error with its stable code, detail and cause', (kind, build, code) => {
    const cause = new Error('driver failure');
    const error = build('details for the log', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'StorageError',
      kind,
      code,
      detail: 'details for the log',
    });
    expect(error.message).toBe(`${kind}: details for the log`);
    expect(error.cause).toBe(cause);
    expect(STORAGE_ERROR_CODES[kind]).toBe(code);
  });

  describe('isStorageError()', () => {
    it('narrows by kind', () => {
      const error: unknown = StorageError.notFound('absent');
      expect(isStorageError(error)).toBe(true);
      expect(isStorageError(error, 'NotFound')).toBe(true);
      expect(isStorageError(error, 'Backend')).toBe(false);
    });

    it('recognises an error from another copy of the package, without instanceof', () => {
      // What a second copy of @aa/core builds: same registry symbol, other class.
      const foreign = Object.assign(new Error('Backend: down'), { kind: 'Backend' });
      Object.defineProperty(foreign, Symbol.for('@aa/core/StorageError'), { value: true });
      expect(foreign instanceof StorageError).toBe(false);
      expect(isStorageError(foreign, 'Backend')).toBe(true);
    });

    it.each([
      ['a plain Error', new Error('NotFound: x')],
      ['a look-alike object', { kind: 'NotFound', code: 'AA_STORAGE_NOT_FOUND' }],
      ['null', null],
      ['a string', 'NotFound'],
    ])('rejects %s', (_label, value) => {
      expect(isStorageError(value)).toBe(false);
    });
  });
});
