/**
 * PostgreSQL log timestamps (PG `log_line_prefix` %m/%t/%s/%n, csvlog `log_time`/`session_start_time`,
 * jsonlog `timestamp`/`session_start`): `YYYY-MM-DD HH:MM:SS[.mmm] ZONE`, where ZONE is the abbreviation
 * of `log_timezone` as the tz database spells it.
 *
 * What we resolve: `UTC`, `GMT`, `UT`, `Z`, and numeric abbreviations (`+03`, `-0330`, `+05:30`), which the tz
 * database uses for zones without a letter abbreviation. Letter abbreviations (`CET`, `EST`, `IST`, …) are
 * ambiguous (IST is India, Ireland or Israel) and are not guessed: the time is unknown (null) and the raw
 * text is kept by the caller. Set `log_timezone = 'UTC'` on audited servers (docs/formats/pgaudit.md).
 */

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?: ([A-Za-z]+|[+-]\d{1,2}(?::?\d{2})?))?$/;
const UTC_NAMES = new Set(['UTC', 'GMT', 'UT', 'Z', 'ZULU']);

/** Offset of a zone abbreviation in minutes east of UTC, or null when it cannot be known. */
export function zoneOffsetMinutes(zone: string): number | null {
  if (UTC_NAMES.has(zone.toUpperCase())) return 0;
  const m = /^([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(zone);
  if (!m) return null;
  const hours = Number(m[2]);
  const minutes = m[3] === undefined ? 0 : Number(m[3]);
  if (hours > 15 || minutes > 59) return null;
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** `2026-11-22 23:23:14.229 UTC` → the instant; null when malformed or the zone is not resolvable. */
export function parseLogTimestamp(text: string): Date | null {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return null;
  const offset = m[8] === undefined ? null : zoneOffsetMinutes(m[8]);
  if (offset === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000 + 1e-6);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 60) return null;
  return new Date(utc - offset * 60_000);
}

/** %n: seconds since the epoch with milliseconds, `1732317794.229`. */
export function parseEpochSeconds(text: string): Date | null {
  const m = /^(\d+)(?:\.(\d{1,3}))?$/.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * 1000 + (m[2] === undefined ? 0 : Number(m[2].padEnd(3, '0')));
  return Number.isSafeInteger(ms) ? new Date(ms) : null;
}

/** The ISO form when the timestamp resolves, else the text as logged (for `extra`). */
export function isoOrRaw(text: string): string {
  return parseLogTimestamp(text)?.toISOString() ?? text;
}
