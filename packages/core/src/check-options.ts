import { describeValue } from './describe-value.js';

/**
 * Checks the options object a constructor was given, once: `undefined` (no
 * options) or a plain object whose every own key is a known option name. Each
 * package checks the values itself; this is the shape check they share.
 *
 * @param input - what the caller passed.
 * @param known - the option names the constructor accepts.
 * @returns the options, typed as `T` for the caller to check field by field;
 *   `{}` for `undefined`.
 * @throws {TypeError} "Expected `options` to be an object, got …", or "Expected
 *   options among `a`, `b`, got unknown option `c`".
 *
 * @example
 * const options = checkOptions<StoreOptions>(input, new Set(['schema', 'timeoutMs']));
 */
export function checkOptions<T extends object>(input: unknown, known: ReadonlySet<string>): T {
  if (input === undefined) return {} as T;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(input)}`);
  }
  for (const name of Object.keys(input)) {
    if (!known.has(name)) {
      const names = [...known].map((option) => `\`${option}\``).join(', ');
      throw new TypeError(`Expected options among ${names}, got unknown option \`${name}\``);
    }
  }
  return input as T;
}
