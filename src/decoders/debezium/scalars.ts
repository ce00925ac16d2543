/**
 * Lenient readers for Debezium metadata fields. The Connect schema says int64 or boolean, but files written
 * by hand, by other converters or by old versions carry `"ts_ms":"123"`, `"snapshot":"true"` or a JSON
 * boolean; numbers past 2^53 arrive as decimal strings from the lossless parser. All are accepted here.
 */

const INTEGER = /^-?\d+$/;

/** An integer field as a bigint: a JSON integer or a string of digits; anything else → null. */
export function bigIntOf(value: unknown): bigint | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : null;
  if (typeof value === 'string') {
    const t = value.trim();
    return INTEGER.test(t) ? BigInt(t) : null;
  }
  if (typeof value === 'bigint') return value;
  return null;
}

/** An integer as plain JSON: a number when a double holds it exactly, else its decimal string. */
export function jsonIntOf(value: unknown): number | string | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  const n = bigIntOf(value);
  if (n === null) return null;
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

/** An integer that must fit a double (counters, orders); null when absent or out of range. */
export function safeIntOf(value: unknown): number | null {
  const n = jsonIntOf(value);
  return typeof n === 'number' ? n : null;
}

/** Text of an identifier-like field: strings as they are, integers as digits; anything else → null. */
export function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  const n = bigIntOf(value);
  return n === null ? null : n.toString();
}

/** A non-empty string, else null. */
export function nonEmpty(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * `source.snapshot` normalized to its enum text (`true`, `last`, `incremental` …), or null when the event is
 * not part of a snapshot (`false`, absent). A JSON boolean `true` (pre-1.0) becomes `"true"`.
 */
export function snapshotOf(value: unknown): string | null {
  if (value === true) return 'true';
  if (typeof value !== 'string') return null;
  const v = value.trim().toLowerCase();
  return v === '' || v === 'false' ? null : v;
}
