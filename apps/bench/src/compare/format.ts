/** Cell formatters for the report; `NaN` (not measurable, or not measured) prints as `—`. */
const orDash =
  (format: (value: number) => string) =>
  (value: number): string =>
    Number.isNaN(value) ? '—' : format(value);

/** A count with thousands separators. */
export const formatCount = orDash((value) => Math.round(value).toLocaleString('en-US'));
/** Nanoseconds or milliseconds, one decimal. */
export const formatTime = orDash((value) => value.toFixed(1));
/** A difference in milliseconds, signed, one decimal: `+0.3`, `-1.2`. */
export const formatTimeDifference = orDash((value) => {
  const rounded = value.toFixed(1);
  if (Number(rounded) === 0) return '0.0';
  return value > 0 ? `+${rounded}` : rounded;
});
/** A ratio such as `1.23×`. */
export const formatRatio = orDash((value) => `${value.toFixed(2)}×`);
/** Bytes, whole. */
export const formatBytes = orDash((value) => Math.round(value).toLocaleString('en-US'));
/** Bytes as mebibytes, two decimals. */
export const formatMiB = orDash((value) => (value / 1_048_576).toFixed(2));
/** A hit ratio, three decimals. */
export const formatHitRatio = orDash((value) => value.toFixed(3));
