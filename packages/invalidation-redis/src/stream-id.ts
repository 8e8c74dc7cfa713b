const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;
const MAX_U64 = 18_446_744_073_709_551_615n;

/** The smallest stream id: "before every entry", where a read of the whole stream starts. */
export const STREAM_START_ID = '0-0';

/**
 * Whether `value` is a complete Redis stream entry id, `<ms>-<seq>` with both
 * parts unsigned 64-bit integers (`'1718000000000-0'`). The shorthands Redis
 * also accepts (`'$'`, `'0'`, `'-'`, `'+'`) are not ids.
 */
export function isStreamId(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = STREAM_ID.exec(value);
  if (match === null) return false;
  return BigInt(match[1] as string) <= MAX_U64 && BigInt(match[2] as string) <= MAX_U64;
}

/**
 * Orders two stream ids as Redis does: by the millisecond part, then by the
 * sequence part, each as an unsigned 64-bit integer. Not string order:
 * `'999-0'` sorts before `'1000-0'`, and `'5-10'` after `'5-9'`.
 *
 * Both arguments must be complete ids (see {@link isStreamId}); this is not
 * checked, since it runs once per applied entry.
 *
 * @returns a negative number when `a` is older than `b`, `0` when they are
 *   equal, a positive number when `a` is newer.
 *
 * @example
 * compareStreamIds('999-0', '1000-0'); // < 0
 * compareStreamIds(subscriber.lastId, publishedId) >= 0; // the subscriber has caught up
 */
export function compareStreamIds(a: string, b: string): number {
  if (a === b) return 0;
  const dashA = a.indexOf('-');
  const dashB = b.indexOf('-');
  return (
    compareDigits(a.slice(0, dashA), b.slice(0, dashB)) ||
    compareDigits(a.slice(dashA + 1), b.slice(dashB + 1))
  );
}

/** Compares two non-negative decimal integers written without a sign, of any length. */
function compareDigits(a: string, b: string): number {
  const x = stripLeadingZeros(a);
  const y = stripLeadingZeros(b);
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

function stripLeadingZeros(digits: string): string {
  let start = 0;
  while (start < digits.length - 1 && digits.charCodeAt(start) === 48) start++;
  return start === 0 ? digits : digits.slice(start);
}
