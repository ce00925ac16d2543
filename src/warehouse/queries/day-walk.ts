/**
 * Newest-first range reads a few daily partitions at a time (docs/warehouse.md "Range reads"): the
 * partitioned table's days are read in windows, newest first, each window a `part_at` range with literal
 * day bounds, so PostgreSQL prunes at plan time to the window's partitions (plus the default partition
 * where the range is not covered by daily ones) and plans, locks and runs only those. The walk starts at
 * the page's bound (the cursor's day, `until`) and stops when the page is full or the days run out.
 *
 * The windows' ranges tile the whole time line (the first is open above, the last open below), so every
 * row is in exactly one window, whatever the default partition holds and whichever partitions were created
 * or dropped meanwhile: the partition list only decides where the windows' bounds fall. Rows of a newer
 * window all sort before rows of an older one, so the pages are exactly those of one statement over the
 * partitioned table. On TimescaleDB (chunks, not daily partitions) callers read the hypertable (null).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Warehouse } from '../tables.js';
import type { PartitionedTable } from '../partitions.js';
import type { Keyset } from './keyset.js';
import { bypass, takes } from './read-paths.js';

const DAY_MS = 86_400_000;
/** Window sizes in partitions after the head (today and newer): doubling, then this many at a time. */
const MAX_WINDOW = 16;
// Day bounds PostgreSQL's timestamptz takes without surprises; outside them a bound is left open.
const MIN_MS = Date.parse('0001-01-01T00:00:00Z');
const MAX_MS = Date.parse('9999-12-31T00:00:00Z');

/** Conditions restricting alias `alias`'s `part_at` to one window (literal bounds: plan-time pruning). */
export type WindowRange = (alias: string) => RawBuilder<unknown>[];

export interface WalkBounds {
  /** The page's keyset: rows strictly older (its day is the newest one the walk reads). */
  readonly after: Keyset | null;
  /** Rows at or after (inclusive). */
  readonly since?: Date | null;
  /** Rows before (exclusive). */
  readonly until?: Date | null;
}

/** Read every range page of this warehouse handle with one statement over the partitioned table, as before. */
export const bypassDayWalk = (db: Kysely<Warehouse>): void => bypass(db, 'day-walk');

const floorDay = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/** The start of the day after the newest day a row may be on, or null for no bound. */
function upperOf(b: WalkBounds): number | null {
  const caps: number[] = [];
  if (b.after) {
    const us = BigInt(b.after.partUs);
    caps.push(Number(us / 1000n - (us % 1000n < 0n ? 1n : 0n)));
  }
  if (b.until) caps.push(b.until.getTime() - 1);
  return caps.length === 0 ? null : floorDay(Math.min(...caps)) + DAY_MS;
}

/** Days (ms at 00:00 UTC) of the table's daily partitions in [from, to), newest first. */
async function partitionDays(db: Kysely<Warehouse>, table: PartitionedTable, from: number | null, to: number | null): Promise<number[]> {
  const r = await sql<{ name: string }>`select c.relname as "name" from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = ${`auditql.${table}`}::regclass and c.relname ~ '_p[0-9]{8}$'`.execute(db);
  const days = r.rows.map(({ name }) => {
    const d = name.slice(-8);
    return Date.parse(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T00:00:00Z`);
  });
  return days.filter((d) => (from == null || d >= from) && (to == null || d < to)).sort((a, b) => b - a);
}

const bound = (ms: number | null): Date | null => (ms != null && ms >= MIN_MS && ms <= MAX_MS ? new Date(ms) : null);

function rangeOf(lo: Date | null, hi: Date | null): WindowRange {
  return (alias) => {
    const col = sql.ref(`${alias}.part_at`);
    const w: RawBuilder<unknown>[] = [];
    if (lo) w.push(sql`${col} >= ${lo.toISOString()}::timestamptz`);
    if (hi) w.push(sql`${col} < ${hi.toISOString()}::timestamptz`);
    return w;
  };
}

/**
 * Up to `limit` rows newest first, read window by window through `read` (which must add the window's
 * range to every reference to the partitioned table and order by `(part_at, seq)` descending), or null
 * when this warehouse has no daily partitions to walk (the caller reads the parent in one statement).
 */
export async function walkDays<R>(
  db: Kysely<Warehouse>, table: PartitionedTable, b: WalkBounds, limit: number,
  read: (range: WindowRange, need: number) => Promise<R[]>,
): Promise<R[] | null> {
  if (!(await takes(db, 'day-walk'))) return null;
  const upper = upperOf(b);
  const from = b.since ? floorDay(b.since.getTime()) : null;
  const days = await partitionDays(db, table, from, upper);
  const today = floorDay(Date.now());
  const rows: R[] = [];
  let hi = bound(upper);
  let i = 0;
  let size = 1;
  // The head (today and every day ahead, mostly empty partitions made in advance) is one window; then
  // 1, 2, 4, … partitions at a time, up to MAX_WINDOW.
  let n = 0;
  while (n < days.length && days[n]! >= today) n++;
  for (;;) {
    if (n === 0) {
      n = Math.min(size, days.length - i);
      size = Math.min(size * 2, MAX_WINDOW);
    }
    const last = i + n >= days.length;
    const lo = last ? bound(from) : new Date(days[i + n - 1]!);
    rows.push(...(await read(rangeOf(lo, hi), limit - rows.length)));
    if (rows.length >= limit || last) return rows;
    i += n;
    n = 0;
    hi = lo;
  }
}
