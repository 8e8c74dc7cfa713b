import { z } from 'zod';
import { describeValue } from './describe-value.js';
import { type IdTypeName, InvalidIdError } from './invalid-id-error.js';

const BYTE_LENGTH = 16;
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CANONICAL_UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX_BYTE = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
// %TypedArray%.prototype's own getters read a typed array's internal slots, so
// neither a subclass overriding `length` nor an object merely inheriting from
// Uint8Array.prototype can pass for 16 bytes. A Node Buffer is a Uint8Array.
const typedArrayPrototype: object = Object.getPrototypeOf(Uint8Array.prototype);
const nameGetter = Object.getOwnPropertyDescriptor(typedArrayPrototype, Symbol.toStringTag)
  ?.get as () => string | undefined;
const lengthGetter = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'length')
  ?.get as () => number;
const typedArrayName = (value: unknown): string | undefined => nameGetter.call(value);
const typedArrayLength = (value: unknown): number => lengthGetter.call(value);
// Hyphens of the 8-4-4-4-12 form fall after these byte offsets.
const HYPHEN_AFTER_BYTE = new Set([3, 5, 7, 9]);

/**
 * Builds, reads and validates one kind of UUID-shaped id. The id itself is a
 * branded string holding the canonical lowercase UUID text, so equal ids are
 * `===` and work directly as `Map` keys.
 */
export interface UuidIdCodec<Id extends string> {
  /**
   * The id whose raw bytes are `bytes`: exactly 16 bytes, any content.
   * @throws {InvalidIdError} when `bytes` is not a `Uint8Array` of length 16.
   */
  fromBytes(bytes: Uint8Array): Id;
  /**
   * The id written as `text`: UUID text (8-4-4-4-12 hex digits) in any letter
   * case. Nothing else is accepted: no braces, no `urn:uuid:`, no whitespace.
   * @throws {InvalidIdError} when `text` is not UUID text.
   */
  parse(text: unknown): Id;
  /**
   * The 16 raw bytes of `id`, in a new array the caller owns.
   * @throws {InvalidIdError} when `id` was forged by a cast and is not canonical.
   */
  toBytes(id: Id): Uint8Array;
  /** Whether `value` is already a canonical id of this type. */
  is(value: unknown): value is Id;
  /** A zod schema from UUID text (any case) to the id, for parsing input at the edges. */
  readonly schema: z.ZodType<Id, string>;
}

/** Creates the codec of the id type called `typeName`. */
export function uuidIdCodec<Id extends string>(typeName: IdTypeName): UuidIdCodec<Id> {
  const textError = (text: unknown) =>
    new InvalidIdError(
      typeName,
      `Expected ${typeName} text to be a UUID (8-4-4-4-12 hex digits), got ${describeValue(text)}`,
    );

  return Object.freeze({
    fromBytes(bytes: Uint8Array): Id {
      if (typedArrayName(bytes) !== 'Uint8Array' || typedArrayLength(bytes) !== BYTE_LENGTH) {
        throw new InvalidIdError(
          typeName,
          `Expected ${typeName} bytes to be a Uint8Array of length ${BYTE_LENGTH}, got ${describeValue(bytes)}`,
        );
      }
      let text = '';
      for (let index = 0; index < BYTE_LENGTH; index++) {
        text += HEX_BYTE[bytes[index] as number];
        if (HYPHEN_AFTER_BYTE.has(index)) text += '-';
      }
      return text as Id;
    },

    parse(text: unknown): Id {
      if (typeof text !== 'string' || !UUID_TEXT.test(text)) throw textError(text);
      return text.toLowerCase() as Id;
    },

    toBytes(id: Id): Uint8Array {
      if (typeof id !== 'string' || !CANONICAL_UUID_TEXT.test(id)) throw textError(id);
      const hex = id.replaceAll('-', '');
      const bytes = new Uint8Array(BYTE_LENGTH);
      for (let index = 0; index < BYTE_LENGTH; index++) {
        bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
      }
      return bytes;
    },

    is(value: unknown): value is Id {
      return typeof value === 'string' && CANONICAL_UUID_TEXT.test(value);
    },

    schema: z
      .string()
      .regex(UUID_TEXT, { error: `Expected ${typeName} text to be a UUID (8-4-4-4-12 hex digits)` })
      .transform((text) => text.toLowerCase() as Id),
  });
}
