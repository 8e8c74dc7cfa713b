import { describeValue } from '@aa/core';

/** Throws the house "Expected … got …" `TypeError` unless `value` is an integer in `min..max`. */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new TypeError(
      `Expected \`${name}\` to be an integer from ${min} to ${max}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Throws unless `value` is a non-empty string without whitespace (a key, a URL, a client name). */
export function checkToken(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || /\s/.test(value)) {
    throw new TypeError(
      `Expected \`${name}\` to be a non-empty string without whitespace, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Throws unless `value` is a plain options object (or `undefined`). */
export function checkObject(name: string, value: unknown): void {
  if (
    value !== undefined &&
    (typeof value !== 'object' || value === null || Array.isArray(value))
  ) {
    throw new TypeError(`Expected \`${name}\` to be an object, got ${describeValue(value)}`);
  }
}

/**
 * `value`, or `fallback` when it is `undefined`. Only `undefined` means "use the
 * default": a `null` goes on to the check and is rejected there.
 */
export function withDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}
