/**
 * The change feed's reads (docs/cursors.md; docs/subscriptions.md). Subscriptions read
 * the warehouse only through these, always in `seq` order.
 *
 * Why `seq` is safe to follow: the sink allocates every change and activity `seq` under one
 * transaction-scoped advisory lock (src/warehouse/sink.ts `FEED_LOCK`), and PostgreSQL makes a
 * transaction visible before it releases its locks. So when a snapshot sees a row with seq S, every row with
 * a smaller seq that will ever exist is already visible in it: rows appear in seq order, never below a
 * seq already seen. `feedHead` reads the highest seq visible now; everything at or below it is settled, so
 * `seq > after and seq <= upto` (with `upto` a head read earlier) returns the same rows whenever it runs —
 * replay pages and live reads are the same query and meet without a gap or a duplicate.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Warehouse } from '../tables.js';
import { changeColumns, type ChangeRecord } from './change-record.js';
import { activityColumns, type ActivityRecord } from './activity-record.js';
import { changeConditions, type ChangeQuery } from './change-page.js';
import { activityConditions, type ActivityQuery } from './activity-page.js';
import { allOf } from './keyset.js';

/** A slice of the feed: rows with `after < seq <= upto`, at most `limit`, in seq order. */
export interface FeedSlice {
  /** Exclusive lower bound (a seq as decimal text; "0" for the start). */
  readonly after: string;
  /** Inclusive upper bound: a head returned by `feedHead` (or anything below it). */
  readonly upto: string;
  readonly limit: number;
}

/** `after < seq <= upto` of the aliased table: the one condition replay pages and live reads share (see above). */
export const inSlice = (alias: string, s: FeedSlice): RawBuilder<boolean> => {
  const seq = sql.ref(`${alias}.seq`);
  return sql<boolean>`${seq} > ${s.after}::int8 and ${seq} <= ${s.upto}::int8`;
};

/**
 * The highest feed seq visible now ("0" in an empty warehouse): of changes, activity and attribution
 * evidence (which actor updates follow, attribution-updates.ts). An index probe per partition
 * (`changes_seq`, `activity_seq`) and one on the attributions' key, one statement, one snapshot.
 */
export async function feedHead(db: Kysely<Warehouse>): Promise<string> {
  const r = await sql<{ head: string }>`select greatest(
      coalesce((select max(seq) from auditql.changes), 0),
      coalesce((select max(seq) from auditql.activity), 0),
      coalesce((select max(seq) from auditql.attributions), 0))::int8 as head`.execute(db);
  return r.rows[0]?.head ?? '0';
}

/** Changes matching `q` in the slice, oldest seq first. */
export async function feedChanges(db: Kysely<Warehouse>, q: ChangeQuery, s: FeedSlice): Promise<ChangeRecord[]> {
  const r = await sql<ChangeRecord>`select ${changeColumns('c')} from auditql.changes c
    where ${allOf([...changeConditions(q), inSlice('c', s)])} order by c.seq limit ${s.limit}`.execute(db);
  return r.rows;
}

/** Activity matching `q` in the slice, oldest seq first. */
export async function feedActivity(db: Kysely<Warehouse>, q: ActivityQuery, s: FeedSlice): Promise<ActivityRecord[]> {
  const r = await sql<ActivityRecord>`select ${activityColumns('a')} from auditql.activity a
    where ${allOf([...activityConditions(q), inSlice('a', s)])} order by a.seq limit ${s.limit}`.execute(db);
  return r.rows;
}
