/**
 * The transaction locator's read side (docs/warehouse.md "Reading one transaction: the transaction
 * locator"): the UTC days the transactions asked for have changes and activity on (`auditql.tx_parts`,
 * tx-locator.ts), as `part_at` ranges with literal day bounds. A read by transaction id adds its relation's
 * ranges to every reference to the partitioned table, so PostgreSQL prunes at plan time to those days'
 * partitions (and the default partition for a day without its own) and plans, locks and probes only them.
 *
 * The ranges are a filter, never a source of rows: a row outside them is not in the transaction (the sink
 * records every row's day in the row's own transaction), and a day the locator still lists after its
 * partition was dropped reads as empty. So the answer is the one a read of every partition gives. Where
 * the locator is off (TimescaleDB, a warehouse not migrated yet, a test's bypass) every day is allowed.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Warehouse } from '../tables.js';
import { bypass, takes } from './read-paths.js';
import { sameServer, txKeys, type TxKey } from './transaction-key.js';

/** The condition restricting alias `alias`'s `part_at` to the located days. */
export type DayFilter = (alias: string) => RawBuilder<boolean>;

export interface TxDays {
  readonly changes: DayFilter;
  readonly activity: DayFilter;
}

const DAY_MS = 86_400_000;
const everyDay: DayFilter = () => sql<boolean>`true`;
/** No day filter: every partition. */
export const EVERY_DAY: TxDays = { changes: everyDay, activity: everyDay };

/** Read every transaction of this warehouse handle from every partition, as before the locator. */
export const bypassTxLocator = (db: Kysely<Warehouse>): void => bypass(db, 'tx-locator');

/** Days (`YYYY-MM-DD`) as half-open ranges of consecutive days: [start, end) in ms. */
function runs(days: readonly string[]): [number, number][] {
  const ms = [...new Set(days)].map((d) => Date.parse(`${d}T00:00:00Z`)).sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const d of ms) {
    const last = out[out.length - 1];
    if (last && last[1] === d) last[1] = d + DAY_MS;
    else out.push([d, d + DAY_MS]);
  }
  return out;
}

function filterOf(days: readonly string[]): DayFilter {
  const ranges = runs(days);
  return (alias) => {
    if (ranges.length === 0) return sql<boolean>`false`;
    const col = sql.ref(`${alias}.part_at`);
    const arms = ranges.map(([lo, hi]) =>
      sql<boolean>`(${col} >= ${new Date(lo).toISOString()}::timestamptz and ${col} < ${new Date(hi).toISOString()}::timestamptz)`);
    return sql<boolean>`(${sql.join(arms, sql` or `)})`;
  };
}

/** Where a transaction has rows: a relation and a UTC day (`YYYY-MM-DD`). */
export interface LocatedDay {
  readonly relation: string;
  readonly day: string;
}

/** The day filters of a set of located days. */
function filtersOf(rows: readonly LocatedDay[]): TxDays {
  return {
    changes: filterOf(rows.filter((r) => r.relation === 'changes').map((r) => r.day)),
    activity: filterOf(rows.filter((r) => r.relation === 'activity').map((r) => r.day)),
  };
}

/** The day filters of what was located per key; a key located as null (the locator off) allows every day. */
export function daysOf(located: readonly (readonly LocatedDay[] | null)[]): TxDays {
  const days: LocatedDay[] = [];
  for (const d of located) {
    if (d === null) return EVERY_DAY;
    days.push(...d);
  }
  return filtersOf(days);
}

/** Finds where transactions have rows; a query by transaction takes one, so a request can share its probes. */
export type TxLocate = (keys: readonly TxKey[]) => Promise<TxDays>;

/**
 * Per key (in key order): the days it has rows on (one index probe per key, one statement), or null when
 * this warehouse's reads do not take the locator.
 */
export async function locateTxs(db: Kysely<Warehouse>, keys: readonly TxKey[]): Promise<LocatedDay[][] | null> {
  if (!(await takes(db, 'tx-locator'))) return null;
  const out: LocatedDay[][] = keys.map(() => []);
  if (keys.length === 0) return out;
  const r = await sql<LocatedDay & { i: string }>`select distinct k.i as "i", l.relation, to_char(l.part_day, 'YYYY-MM-DD') as "day"
    from ${txKeys(keys)} join auditql.tx_parts l on l.tx_id = k.tx_id and ${sameServer('l', 'k')}`.execute(db);
  for (const { i, ...d } of r.rows) out[Number(i) - 1]!.push(d);
  return out;
}

/** Where the transactions `keys` have rows, or every day when the locator is off. */
export async function txDays(db: Kysely<Warehouse>, keys: readonly TxKey[]): Promise<TxDays> {
  if (keys.length === 0) return EVERY_DAY;
  const located = await locateTxs(db, keys);
  return located ? daysOf(located) : EVERY_DAY;
}

/** Where transaction id `txId` has rows on any server, or every day when the locator is off. */
export async function txIdDays(db: Kysely<Warehouse>, txId: string): Promise<TxDays> {
  if (!(await takes(db, 'tx-locator'))) return EVERY_DAY;
  const r = await sql<LocatedDay>`select distinct l.relation, to_char(l.part_day, 'YYYY-MM-DD') as "day"
    from auditql.tx_parts l where l.tx_id = ${txId}`.execute(db);
  return filtersOf(r.rows);
}
