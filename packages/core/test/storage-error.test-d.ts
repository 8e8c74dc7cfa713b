import { describe, expectTypeOf, it } from 'vitest';
import { StorageError, type StorageErrorKind } from '../src/index.js';

describe('StorageError', () => {
  it('narrows instanceof to a StorageError of any kind, not StorageError<any>', () => {
    const error: unknown = StorageError.notFound('x');
    if (error instanceof StorageError) {
      expectTypeOf(error).toEqualTypeOf<StorageError>();
      expectTypeOf(error.kind).toEqualTypeOf<StorageErrorKind>();
    }
  });
});
