/**
 * DAS timestamps: `YYYY-MM-DD hh:mm:ss.ffffff+00` (AUR: logTime, startTime, endTime, UTC).
 * Seen in the wild: 6 fraction digits with `+00` (Aurora), no zone (RDS Oracle: EVENT_TIMESTAMP_UTC, so UTC),
 * 7 digits (RDS SQL Server, 100 ns). A JavaScript Date holds milliseconds: the fraction is **truncated**
 * to milliseconds (never rounded, so an event never moves into the next millisecond); the exact text is
 * kept in the event's `extra`.
 */

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Zone suffix → offset east of UTC in minutes (`+00`, `+05:30`, `-0800`, `Z`; none = UTC). */
function offsetMinutes(zone: string | undefined): number {
  if (!zone || zone.toUpperCase() === 'Z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes);
}

/** Parse a DAS timestamp; null when absent or not in the documented shape (never a guessed date). */
export function parseDasTimestamp(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const m = TIMESTAMP.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const year = Number(y), month = Number(mo), day = Number(d);
  const hour = Number(h), minute = Number(mi), second = Number(s);
  const millis = fraction ? Number(fraction.padEnd(3, '0').slice(0, 3)) : 0;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(local);
  // Reject rolled-over fields (2020-02-30, 25:00) instead of letting Date.UTC carry them.
  if (
    check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day ||
    check.getUTCHours() !== hour || check.getUTCMinutes() !== minute || check.getUTCSeconds() !== second
  ) {
    return null;
  }
  return new Date(local - offsetMinutes(zone) * 60_000);
}
