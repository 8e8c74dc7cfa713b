const MAX_SHOWN_CHARS = 60;

/**
 * Renders any value for an error message as "`shown` (type)", short enough for a
 * log line, so a message can say exactly what it was given.
 *
 * @example
 * describeValue(-1); // "`-1` (number)"
 * describeValue('x'.repeat(500)); // "`\"xxx…\"` (string of length 500)"
 * describeValue(new Uint8Array(3)); // "`Uint8Array(3)` (object)"
 */
export function describeValue(value: unknown): string {
  try {
    return describe(value);
  } catch {
    // A revoked Proxy, or a trap or getter that throws: an error message about
    // bad input must not itself fail.
    return '`unreadable value` (object)';
  }
}

function describe(value: unknown): string {
  if (value === null) return '`null`';
  if (value === undefined) return '`undefined`';
  if (typeof value === 'string') {
    const shown = JSON.stringify(truncate(value));
    return value.length > MAX_SHOWN_CHARS
      ? `\`${shown}\` (string of length ${value.length})`
      : `\`${shown}\` (string)`;
  }
  if (typeof value === 'function') return `\`${value.name || 'anonymous'}\` (function)`;
  if (typeof value !== 'object') return `\`${String(value)}\` (${typeof value})`;
  if (ArrayBuffer.isView(value)) {
    return `\`${value.constructor.name}(${value.byteLength})\` (object)`;
  }
  if (Array.isArray(value)) return `\`Array(${value.length})\` (object)`;
  const prototype: unknown = Object.getPrototypeOf(value);
  const name =
    prototype === null || prototype === Object.prototype
      ? 'plain object'
      : (value.constructor?.name ?? 'object');
  return `\`${name}\` (object)`;
}

function truncate(text: string): string {
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
}
