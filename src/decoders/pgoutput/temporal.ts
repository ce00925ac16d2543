/**
 * Dates and timestamps as PostgreSQL prints them with `DateStyle=ISO` (the source asks for it; see
 * https://www.postgresql.org/docs/current/datatype-datetime.html#DATATYPE-DATETIME-OUTPUT) → the ISO-8601
 * text auditql stores for every format (same rules as src/decoders/debezium/temporal.ts):
 * - `timestamptz` `2024-05-01 12:00:00.123456+02` → UTC `2024-05-01T10:00:00.123456Z`;
 * - `timestamp` `2024-05-01 10:00:00.5` → `2024-05-01T10:00:00.5` (no zone: the column had none);
 * - `date` `2024-05-01` → as is;
 * - the fraction keeps its significant digits (µs at most) and drops trailing zeros; none when zero;
 * - years outside 0000–9999 as `±YYYYYY`; ` BC` years become astronomical (1 BC = 0000, 2 BC = −0001);
 * - `infinity` / `-infinity` stay PostgreSQL's spelling.
 * Text in any other shape (another DateStyle) is returned unchanged: kept, never guessed.
 */
const TS = /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::(\d{2}))?(?::(\d{2}))?)?( BC)?$/;
const DATE = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/;

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function yearText(y: number): string {
  if (y >= 0 && y <= 9999) return pad(y, 4);
  return (y < 0 ? '-' : '+') + pad(Math.abs(y), 6);
}

/** Days since 1970-01-01 of a proleptic Gregorian civil date (astronomical year numbering). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d];
}

const fractionText = (digits: string | undefined) => {
  const f = (digits ?? '').replace(/0+$/, '');
  return f ? '.' + f : '';
};

const astronomical = (year: string, bc: string | undefined) => (bc ? 1 - Number(year) : Number(year));

export function decodeTimestamptz(text: string): string {
  const m = TS.exec(text);
  if (!m || !m[8]) return text;
  const year = astronomical(m[1]!, m[12]);
  const offset = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0));
  const local = daysFromCivil(year, Number(m[2]), Number(m[3])) * 86400 + Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]);
  const utc = local - offset;
  const days = Math.floor(utc / 86400);
  const secs = utc - days * 86400;
  const [y, mo, d] = civilFromDays(days);
  const time = `${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor((secs % 3600) / 60), 2)}:${pad(secs % 60, 2)}`;
  return `${yearText(y)}-${pad(mo, 2)}-${pad(d, 2)}T${time}${fractionText(m[7])}Z`;
}

export function decodeTimestamp(text: string): string {
  const m = TS.exec(text);
  if (!m || m[8]) return text;
  const year = astronomical(m[1]!, m[12]);
  return `${yearText(year)}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${fractionText(m[7])}`;
}

export function decodeDate(text: string): string {
  const m = DATE.exec(text);
  if (!m) return text;
  return `${yearText(astronomical(m[1]!, m[4]))}-${m[2]}-${m[3]}`;
}

