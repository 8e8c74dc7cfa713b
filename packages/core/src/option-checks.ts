import { describeValue } from './describe-value.js';

/**
 * Checks one integer option: `value` must be a safe integer from `min` to `max`.
 * The packages check every numeric option with it, so they all word the error
 * alike. Apply a default first ({@link withDefault}).
 *
 * @param minLabel - how the message names the lower bound, when it is another
 *   option (``"`reconnectDelayMs` (100)"``). @default `min`
 * @returns `value`.
 * @throws {TypeError} "Expected `name` to be an integer from `min` to `max`, got …".
 *
 * @example
 * const timeoutMs = checkInteger('timeoutMs', withDefault(options.timeoutMs, 5_000), 1, 3_600_000);
 */
export function checkInteger(
  name: string,
  value: unknown,
  min: number,
  max: number,
  minLabel: string = String(min),
): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new TypeError(
      `Expected \`${name}\` to be an integer from ${minLabel} to ${max}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * Checks one string option that names something (a key, a URL, a client name):
 * it must be non-empty and hold no whitespace.
 *
 * @returns `value`.
 * @throws {TypeError} "Expected `name` to be a non-empty string without whitespace, got …".
 */
export function checkToken(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || /\s/.test(value)) {
    throw new TypeError(
      `Expected \`${name}\` to be a non-empty string without whitespace, got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * Checks a nested options object: `undefined`, or a plain object (not `null`,
 * not an array). Its fields are the caller's to check.
 *
 * @throws {TypeError} "Expected `name` to be an object, got …".
 */
export function checkObject(name: string, value: unknown): asserts value is object | undefined {
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
 *
 * @example
 * const onError = withDefault(options.onError, defaultOnError);
 */
export function withDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}
