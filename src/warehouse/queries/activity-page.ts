/**
 * A page of activity matching a filter: the one query behind `activityByUser` and `activity`. Newest
 * first walks `(part_at, seq)` down `activity_user` or `activity_time`, a few daily partitions at a time
 * (day-walk.ts); feed order walks `seq` up over every partition.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Warehouse } from '../tables.js';
import { activityColumns, activityFailed, type ActivityRecord } from './activity-record.js';
import { afterKeyset, allOf, orderBy } from './keyset.js';
import type { PageRequest } from './change-page.js';
import { walkDays } from './day-walk.js';

export interface ActivityQuery {
  readonly database?: string | null;
  /** The database user (`db_user`). */
  readonly dbUser?: string | null;
  readonly classes?: readonly string[] | null;
  readonly commands?: readonly string[] | null;
  readonly objectName?: string | null;
  /** true: only successful; false: only failed (see `activityFailed`). */
  readonly success?: boolean | null;
  /** Occurred at or after (inclusive). */
  readonly since?: Date | null;
  /** Occurred before (exclusive). */
  readonly until?: Date | null;
  readonly txId?: string | null;
  readonly sessionId?: string | null;
  readonly server?: string | null;
  readonly source?: string | null;
  readonly format?: string | null;
}

export function activityConditions(q: ActivityQuery): RawBuilder<unknown>[] {
  const w: RawBuilder<unknown>[] = [];
  if (q.database != null) w.push(sql`a.database_name = ${q.database}`);
  if (q.dbUser != null) w.push(sql`a.db_user = ${q.dbUser}`);
  if (q.classes != null && q.classes.length > 0) w.push(sql`a.class = any(${[...q.classes]}::text[])`);
  if (q.commands != null && q.commands.length > 0) w.push(sql`upper(a.command) = any(${q.commands.map((c) => c.toUpperCase())}::text[])`);
  if (q.objectName != null) w.push(sql`a.object_name = ${q.objectName}`);
  if (q.success === true) w.push(sql`not ${activityFailed('a')}`);
  if (q.success === false) w.push(activityFailed('a'));
  if (q.since != null) w.push(sql`a.part_at >= ${q.since}::timestamptz`);
  if (q.until != null) w.push(sql`a.part_at < ${q.until}::timestamptz`);
  if (q.since != null || q.until != null) w.push(sql`coalesce(a.occurred_at, a.started_at) is not null`);
  if (q.txId != null) w.push(sql`a.tx_id = ${q.txId}`);
  if (q.sessionId != null) w.push(sql`a.session_id = ${q.sessionId}`);
  if (q.server != null) w.push(sql`a.server = ${q.server}`);
  if (q.source != null) w.push(sql`a.source = ${q.source}`);
  if (q.format != null) w.push(sql`a.format = ${q.format}`);
  return w;
}

export async function pageActivity(db: Kysely<Warehouse>, q: ActivityQuery, page: PageRequest): Promise<ActivityRecord[]> {
  const where = activityConditions(q);
  if (page.after) where.push(afterKeyset('a', page.order, page.after));
  const read = async (range: readonly RawBuilder<unknown>[], limit: number) =>
    (await sql<ActivityRecord>`select ${activityColumns('a')} from auditql.activity a
      where ${allOf([...where, ...range])} ${orderBy('a', page.order)} limit ${limit}`.execute(db)).rows;
  if (page.order === 'NEWEST_FIRST') {
    // A few daily partitions at a time, from the page's bound down (day-walk.ts).
    const walked = await walkDays(db, 'activity', { after: page.after, since: q.since, until: q.until }, page.limit, (range, need) => read(range('a'), need));
    if (walked) return walked;
  }
  return read([], page.limit);
}
