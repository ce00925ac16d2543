/**
 * One entity's changes newest first, read through the entity locator (docs/warehouse.md "Reading one
 * entity: the locator"): first the days the entity has changes on (`auditql.entity_parts`, newest first,
 * with their counts), then one statement over only the partitions of the days the page needs, each read
 * by name (`auditql.changes_pYYYYMMDD`, or the default partition for a day that has none), so neither
 * planning nor execution touches the other partitions. A day whose partition was dropped reads as empty.
 *
 * The counts say how many days a page needs; a page that comes back short while the locator knows older
 * days (a filter the counts do not see, a count that included a redelivered duplicate, a dropped day not
 * forgotten yet) reads on from the next older day, so the answer is always the one a scan of every
 * partition gives. On TimescaleDB the locator is bypassed (null), and callers scan the hypertable.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { executeNamed } from '../named-statements.js';
import type { Warehouse } from '../tables.js';
import { changeColumns, type ChangeRecord } from './change-record.js';
import { allOf } from './keyset.js';
import type { EntityRef } from './entity-history.js';
import { bypass, takes } from './read-paths.js';

/** An entity (entity-history.ts `EntityRef`): its table, key text and, optionally, database and schema. */
export type LocatedEntity = Pick<EntityRef, 'table' | 'keyText' | 'database' | 'schema' | 'exactScope'>;

export interface LocatedRead {
  /** Every condition a row must meet, over alias `c` (the entity's own included). */
  readonly where: readonly RawBuilder<unknown>[];
  /** Newest day (UTC, `YYYY-MM-DD`) a row may be on: the page's bound, or null for none. */
  readonly toDay: string | null;
  /** Oldest day a row may be on, or null. */
  readonly fromDay: string | null;
  /** The bound may exclude some of `toDay`'s rows, so its count promises nothing. */
  readonly partialToDay: boolean;
  readonly limit: number;
}

const DAY_MS = 86_400_000;
const dayBefore = (day: string): string => new Date(Date.parse(`${day}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);

/** The UTC day of a keyset's partition time (microseconds since the epoch). */
export function dayOfPartUs(partUs: string): string {
  const us = BigInt(partUs);
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n); // floor, also before 1970
  return new Date(Number(ms)).toISOString().slice(0, 10);
}

/** Read every entity of this warehouse handle by scanning the partitioned table, as before the locator. */
export const bypassLocator = (db: Kysely<Warehouse>): void => bypass(db, 'entity-locator');

interface LocatedDay {
  readonly day: string;
  readonly n: string;
  /** The day has its own partition (else its rows, if any, are in the default one). */
  readonly own: boolean;
}

function scope(e: LocatedEntity): RawBuilder<unknown>[] {
  const w: RawBuilder<unknown>[] = [];
  for (const [col, v] of [['database_name', e.database], ['schema_name', e.schema]] as const) {
    const ref = sql.ref(`l.${col}`);
    if (e.exactScope) w.push(v == null ? sql`${ref} is null` : sql`${ref} = ${v}`);
    else if (v != null) w.push(sql`${ref} = ${v}`);
  }
  return w;
}

/**
 * A day PostgreSQL's date type takes: JavaScript dates reach years 0 and beyond 9999 (`0000-01-01`,
 * `+010000-01-01`), which a `date` refuses. No partition is that far out, so clamping changes no answer.
 */
function pgDay(day: string): string {
  if (day.startsWith('-') || day < '0001-01-01') return '0001-01-01';
  if (day.startsWith('+')) return '9999-12-31';
  return day;
}

async function locate(db: Kysely<Warehouse>, e: LocatedEntity, toDay: string | null, fromDay: string | null, max: number): Promise<LocatedDay[]> {
  const where = [sql`l.table_name = ${e.table}`, sql`l.key_text = ${e.keyText}`, ...scope(e)];
  if (toDay != null) where.push(sql`l.part_day <= ${pgDay(toDay)}::date`);
  if (fromDay != null) where.push(sql`l.part_day >= ${pgDay(fromDay)}::date`);
  const r = await executeNamed(db, 'entity_locate', sql<LocatedDay>`select d.day::text as "day", d.n::text as "n",
      to_regclass('auditql.changes_p' || to_char(d.day, 'YYYYMMDD')) is not null as "own"
    from (select l.part_day as day, sum(l.n) as n from auditql.entity_parts l where ${allOf(where)}
      group by l.part_day order by l.part_day desc limit ${max}) d
    order by d.day desc`);
  return r.rows;
}

/** One arm per day: that day's partition by name, or the default partition narrowed to the day. */
function dayArm(d: LocatedDay, where: readonly RawBuilder<unknown>[], limit: number): RawBuilder<unknown> {
  const conditions = d.own ? where : [...where,
    sql`c.part_at >= ${d.day}::date::timestamp at time zone 'UTC'`, sql`c.part_at < (${d.day}::date + 1)::timestamp at time zone 'UTC'`];
  const table = sql.table(`auditql.${d.own ? `changes_p${d.day.replaceAll('-', '')}` : 'changes_default'}`);
  return sql`(select ${changeColumns('c')} from ${table} c where ${allOf(conditions)}
    order by c.part_at desc, c.seq desc limit ${limit})`;
}

async function readDays(db: Kysely<Warehouse>, days: readonly LocatedDay[], where: readonly RawBuilder<unknown>[], limit: number): Promise<ChangeRecord[]> {
  const arms = days.map((d) => dayArm(d, where, limit));
  const r = await sql<ChangeRecord>`select * from (${sql.join(arms, sql` union all `)}) x
    order by x."partUs" desc, x.seq desc limit ${limit}`.execute(db);
  return r.rows;
}

/**
 * Up to `read.limit` of the entity's changes meeting `read.where`, newest first, or null when this
 * warehouse does not use the locator (the caller scans instead).
 */
export async function locatedChanges(db: Kysely<Warehouse>, e: LocatedEntity, read: LocatedRead): Promise<ChangeRecord[] | null> {
  if (!(await takes(db, 'entity-locator'))) return null;
  const rows: ChangeRecord[] = [];
  let toDay = read.toDay;
  let partial = read.partialToDay;
  for (;;) {
    const need = read.limit - rows.length;
    // A page never needs more days than rows, plus the bound's own day, which may hold none it may return.
    const max = need + 1;
    const days = await locate(db, e, toDay, read.fromDay, max);
    if (days.length === 0) return rows;
    const chosen: LocatedDay[] = [];
    let promised = 0;
    for (const d of days) {
      chosen.push(d);
      if (!(partial && d.day === toDay)) promised += Number(d.n);
      if (promised >= need) break;
    }
    rows.push(...(await readDays(db, chosen, read.where, need)));
    // Done when the page is full, or when nothing older is known.
    if (rows.length >= read.limit || (chosen.length === days.length && days.length < max)) return rows;
    toDay = dayBefore(chosen[chosen.length - 1]!.day);
    partial = false;
  }
}
