/**
 * Temporal values (docs/formats/debezium.md "Value encodings"). Debezium sends dates and times without zone as integers; auditql
 * stores them as ISO-8601 text, the way PostgreSQL itself prints them:
 * - dates `YYYY-MM-DD` (proleptic Gregorian; years outside 0000–9999 as `±YYYYYY`),
 * - times `hh:mm:ss[.fraction]` (MySQL TIME may be negative or past 24h: `-838:59:59`),
 * - timestamps without zone `YYYY-MM-DDThh:mm:ss[.fraction]` — no `Z`, because the column had no zone;
 * - the fraction keeps every significant digit of the source unit (ms, µs or ns) and drops trailing zeros;
 *   no fraction when it is zero.
 * - PostgreSQL ±infinity → `"infinity"` / `"-infinity"` (PostgreSQL's spelling, and what Debezium itself
 *   sends for TIMESTAMPTZ). Sentinels, from DBZ `PostgresValueConverter.java`: timestamps
 *   9223372036825200000 / −9223372036832400000 (PGStatement.DATE_POSITIVE/NEGATIVE_INFINITY, in the
 *   column's own unit); dates: the epoch days of `POSITIVE_INFINITY_LOCAL_DATE` (-5877611-06-21) and
 *   `NEGATIVE_INFINITY_LOCAL_DATE` (-5877611-06-22).
 * Zoned values (`ZonedTimestamp`, `ZonedTime`) are already ISO-8601 strings in UTC and are kept as sent.
 */
import { bigIntOf } from './scalars.js';

export type TimeUnit = 'ms' | 'us' | 'ns';

const PER_SECOND: Readonly<Record<TimeUnit, bigint>> = { ms: 1_000n, us: 1_000_000n, ns: 1_000_000_000n };
const FRACTION_DIGITS: Readonly<Record<TimeUnit, number>> = { ms: 3, us: 6, ns: 9 };
const SECONDS_PER_DAY = 86_400n;

export const PG_TIMESTAMP_POSITIVE_INFINITY = 9223372036825200000n;
export const PG_TIMESTAMP_NEGATIVE_INFINITY = -9223372036832400000n;
export const PG_DATE_POSITIVE_INFINITY = -2147472692n; // LocalDate -5877611-06-21 as epoch days
export const PG_DATE_NEGATIVE_INFINITY = -2147472691n; // LocalDate -5877611-06-22 as epoch days

/** Floor division (BigInt `/` truncates toward zero). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

const pad = (n: bigint, width: number) => n.toString().padStart(width, '0');

/**
 * Days since 1970-01-01 → proleptic Gregorian year, month, day. Counts whole 400-year eras (146097 days),
 * then the year within the era in a calendar that starts on March 1 so the leap day falls last.
 */
export function civilFromDays(epochDays: bigint): { year: bigint; month: number; day: number } {
  const z = epochDays + 719_468n; // days since 0000-03-01
  const era = floorDiv(z, 146_097n);
  const dayOfEra = z - era * 146_097n; // 0 … 146096
  const yearOfEra = (dayOfEra - dayOfEra / 1_460n + dayOfEra / 36_524n - dayOfEra / 146_096n) / 365n; // 0 … 399
  const dayOfYear = dayOfEra - (365n * yearOfEra + yearOfEra / 4n - yearOfEra / 100n); // 0 … 365, from March 1
  const shiftedMonth = (5n * dayOfYear + 2n) / 153n; // 0 = March … 11 = February
  const day = Number(dayOfYear - (153n * shiftedMonth + 2n) / 5n + 1n);
  const month = Number(shiftedMonth < 10n ? shiftedMonth + 3n : shiftedMonth - 9n);
  const year = yearOfEra + era * 400n + (month <= 2 ? 1n : 0n);
  return { year, month, day };
}

function formatYear(year: bigint): string {
  if (year >= 0n && year <= 9999n) return pad(year, 4);
  return (year < 0n ? '-' : '+') + pad(year < 0n ? -year : year, 6);
}

export function formatEpochDays(epochDays: bigint): string {
  const { year, month, day } = civilFromDays(epochDays);
  return `${formatYear(year)}-${pad(BigInt(month), 2)}-${pad(BigInt(day), 2)}`;
}

function fraction(units: bigint, unit: TimeUnit): string {
  if (units === 0n) return '';
  return '.' + pad(units, FRACTION_DIGITS[unit]).replace(/0+$/, '');
}

/** A non-negative duration within or past a day → `hh:mm:ss[.f]` (hours may exceed 23). */
function clock(units: bigint, unit: TimeUnit): string {
  const perSecond = PER_SECOND[unit];
  const seconds = units / perSecond;
  const h = seconds / 3600n;
  const m = (seconds / 60n) % 60n;
  const s = seconds % 60n;
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${fraction(units % perSecond, unit)}`;
}

/** Time past midnight (`Time` ms, `MicroTime` µs, `NanoTime` ns; Connect `Time` ms) → `hh:mm:ss[.f]`. */
export function formatTimeOfDay(units: bigint, unit: TimeUnit): string {
  return units < 0n ? `-${clock(-units, unit)}` : clock(units, unit);
}

/** Epoch units without zone (`Timestamp` ms, `MicroTimestamp` µs, `NanoTimestamp` ns) → `YYYY-MM-DDThh:mm:ss[.f]`. */
export function formatTimestamp(units: bigint, unit: TimeUnit): string {
  if (units === PG_TIMESTAMP_POSITIVE_INFINITY) return 'infinity';
  if (units === PG_TIMESTAMP_NEGATIVE_INFINITY) return '-infinity';
  const perDay = PER_SECOND[unit] * SECONDS_PER_DAY;
  const days = floorDiv(units, perDay);
  return `${formatEpochDays(days)}T${clock(units - days * perDay, unit)}`;
}

/** Epoch days (`io.debezium.time.Date`, Connect `Date`) → `YYYY-MM-DD`. */
export function formatDate(epochDays: bigint): string {
  if (epochDays === PG_DATE_POSITIVE_INFINITY) return 'infinity';
  if (epochDays === PG_DATE_NEGATIVE_INFINITY) return '-infinity';
  return formatEpochDays(epochDays);
}

export type TemporalKind = { readonly shape: 'date' } | { readonly shape: 'time' | 'timestamp'; readonly unit: TimeUnit };

/**
 * Decode one temporal value. A value that is not an integer (e.g. a string some other converter already
 * formatted) is returned unchanged rather than guessed at.
 */
export function decodeTemporal(value: unknown, kind: TemporalKind): unknown {
  const n = bigIntOf(value);
  if (n === null) return value;
  if (kind.shape === 'date') return formatDate(n);
  return kind.shape === 'time' ? formatTimeOfDay(n, kind.unit) : formatTimestamp(n, kind.unit);
}
