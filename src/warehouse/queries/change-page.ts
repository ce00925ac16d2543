/**
 * A page of changes matching a filter: the one query behind `entityHistory`, `whoChanged` and `changes`.
 * Newest first walks `(part_at, seq)` down the `changes_entity`, `changes_table_time` or `changes_time`
 * index; feed order walks `seq` up, as subscriptions do, over every partition. One entity's page newest
 * first reads through the entity locator (located-changes.ts), any other page newest first a few daily
 * partitions at a time (day-walk.ts), instead of every partition.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { executeNamed } from '../named-statements.js';
import type { Warehouse } from '../tables.js';
import { changeColumns, type ChangeRecord } from './change-record.js';
import { afterKeyset, allOf, orderBy, type Keyset, type PageOrder } from './keyset.js';
import { dayOfPartUs, locatedChanges } from './located-changes.js';
import { dayOf } from '../partitions.js';
import { walkDays } from './day-walk.js';

export interface ChangeQuery {
  readonly table?: string | null;
  /** Canonical key text (src/model/row-key.ts `keyText`): one entity. */
  readonly keyText?: string | null;
  readonly database?: string | null;
  readonly schema?: string | null;
  readonly operations?: readonly string[] | null;
  /** The change touched this column (`changed_fields`). */
  readonly field?: string | null;
  /** Some attribution evidence names this database user or application user. */
  readonly actor?: string | null;
  /** Committed at or after (inclusive). */
  readonly since?: Date | null;
  /** Committed before (exclusive). */
  readonly until?: Date | null;
  readonly txId?: string | null;
  readonly server?: string | null;
  readonly source?: string | null;
  readonly format?: string | null;
}

export interface PageRequest {
  /** Rows to return (callers ask one more than they show, to tell whether a next page exists). */
  readonly limit: number;
  readonly after: Keyset | null;
  readonly order: PageOrder;
}

/** The WHERE conditions of a change filter over alias `c`. */
export function changeConditions(q: ChangeQuery): RawBuilder<unknown>[] {
  const w: RawBuilder<unknown>[] = [];
  if (q.table != null) w.push(sql`c.table_name = ${q.table}`);
  if (q.keyText != null) w.push(sql`c.key_text = ${q.keyText}`);
  if (q.database != null) w.push(sql`c.database_name = ${q.database}`);
  if (q.schema != null) w.push(sql`c.schema_name = ${q.schema}`);
  if (q.operations != null && q.operations.length > 0) w.push(sql`c.operation = any(${[...q.operations]}::text[])`);
  if (q.field != null) w.push(sql`${q.field}::text = any(c.changed_fields)`);
  if (q.since != null) w.push(sql`c.part_at >= ${q.since}::timestamptz`);
  if (q.until != null) w.push(sql`c.part_at < ${q.until}::timestamptz`);
  if (q.txId != null) w.push(sql`c.tx_id = ${q.txId}`);
  if (q.server != null) w.push(sql`c.server = ${q.server}`);
  if (q.source != null) w.push(sql`c.source = ${q.source}`);
  if (q.format != null) w.push(sql`c.format = ${q.format}`);
  if (q.actor != null) {
    w.push(sql`exists (select 1 from auditql.attributions at
      where at.change_seq = c.seq and (at.db_user = ${q.actor} or at.app_user = ${q.actor}))`);
  }
  // Unknown commit times are stored at the epoch: a time filter must not match them by accident.
  if (q.since != null || q.until != null) w.push(sql`c.committed_at is not null`);
  return w;
}

export async function pageChanges(db: Kysely<Warehouse>, q: ChangeQuery, page: PageRequest): Promise<ChangeRecord[]> {
  const where = changeConditions(q);
  if (page.after) where.push(afterKeyset('c', page.order, page.after));
  if (q.keyText != null && q.table != null && page.order === 'NEWEST_FIRST') {
    // One entity newest first: only the partitions of the days the page needs (located-changes.ts).
    const bounds = [page.after ? dayOfPartUs(page.after.partUs) : null, q.until ? dayOf(new Date(q.until.getTime() - 1)) : null]
      .filter((d): d is string => d != null).sort();
    const located = await locatedChanges(db, { table: q.table, keyText: q.keyText, database: q.database, schema: q.schema }, {
      where, toDay: bounds[0] ?? null, fromDay: q.since ? dayOf(q.since) : null, partialToDay: bounds.length > 0, limit: page.limit,
    });
    if (located) return located;
  } else if (page.order === 'NEWEST_FIRST') {
    // A range newest first: a few daily partitions at a time, from the page's bound down (day-walk.ts).
    const walked = await walkDays(db, 'changes', { after: page.after, since: q.since, until: q.until }, page.limit, async (range, need) =>
      (await sql<ChangeRecord>`select ${changeColumns('c')} from auditql.changes c
        where ${allOf([...where, ...range('c')])} ${orderBy('c', page.order)} limit ${need}`.execute(db)).rows);
    if (walked) return walked;
  }
  const statement = sql<ChangeRecord>`select ${changeColumns('c')} from auditql.changes c
    where ${allOf(where)} ${orderBy('c', page.order)} limit ${page.limit}`;
  // One entity's page where the locator is bypassed (TimescaleDB, feed order) walks changes_entity whatever
  // the values: a named statement, planned once per connection. Table-wide pages keep a plan made for their values.
  const r = q.keyText != null && q.table != null ? await executeNamed(db, 'entity_page', statement) : await statement.execute(db);
  return r.rows;
}

/** One change by its id (feed sequence); null when there is none. */
export async function changeBySeq(db: Kysely<Warehouse>, seq: string): Promise<ChangeRecord | null> {
  const r = await sql<ChangeRecord>`select ${changeColumns('c')} from auditql.changes c where c.seq = ${seq}::bigint`.execute(db);
  return r.rows[0] ?? null;
}
