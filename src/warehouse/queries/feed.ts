/**
 * The change feed's reads (docs/cursors.md; docs/subscriptions.md). Subscriptions read
 * the warehouse only through these, always in `seq` order.
 *
 * Why `seq` is safe to follow with writers committing side by side: `feedHead` is the watermark
 * `auditql.feed_head()` (migrations/040_concurrent_writers.sql, docs/warehouse.md "Ordering: `seq`"). Every
 * writing transaction holds an in-flight marker below all of its rows until it ends, and the watermark is
 * min(highest seq handed out, lowest marker in flight − 1). So every row at or below it is committed —
 * visible to the reader's next statement, as PostgreSQL makes a commit visible before it releases locks —
 * or will never exist (an aborted batch leaves a gap, never a late row). Everything at or below a head is
 * settled, so `seq > after and seq <= upto` (with `upto` a head read earlier) returns the same rows whenever
 * it runs — replay pages and live reads are the same query and meet without a gap or a duplicate. A
 * long-open writer holds the watermark back: the feed waits, it is never reordered.
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
 * The feed's watermark ("0" in an empty warehouse): every row of changes, activity and attribution evidence
 * (which actor updates follow, attribution-updates.ts) with seq at or below it is settled. One function call:
 * the sequence, then the markers in pg_locks.
 */
export async function feedHead(db: Kysely<Warehouse>): Promise<string> {
  const r = await sql<{ head: string }>`select auditql.feed_head()::text as head`.execute(db);
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
