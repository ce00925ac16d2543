/**
 * Activity by user (docs/attribution.md "Reading it"): `activityByUser` finds what someone did whether they are named as the
 * database user of the activity, or as the application user (`auditql.set_actor`, APP_CONTEXT) of a
 * transaction the activity belongs to — linked through a change both explain, or by the context's own
 * transaction id. Two keyset-ordered arms, each limited, merged: paging stays index-driven for both.
 * Newest first, both read a few daily partitions at a time (day-walk.ts).
 */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';
import { activityColumns, type ActivityRecord } from './activity-record.js';
import { activityConditions, type ActivityQuery } from './activity-page.js';
import type { PageRequest } from './change-page.js';
import { afterKeyset, allOf, orderBy } from './keyset.js';
import { walkDays, type WindowRange } from './day-walk.js';

/** Activity seqs the application user `user` is named for (activity `a2` within `range`). */
const appUserActivity = (user: string, range: WindowRange) => sql`(
    select at2.activity_seq from auditql.attributions at1
      join auditql.attributions at2 on at2.change_seq = at1.change_seq and at2.activity_seq is not null
    where at1.app_user = ${user}
    union
    select a2.seq from auditql.contexts x
      cross join (select coalesce((select tx_window from auditql.attribution_settings), interval '1 day') as w) s
      join auditql.activity a2 on a2.tx_id = x.tx_id and a2.server = x.server
        -- the transaction's statements lie within the window of its context (prunes partitions)
        and a2.part_at between coalesce(x.occurred_at - 2 * s.w, '-infinity') and coalesce(x.occurred_at + 2 * s.w, 'infinity')
        ${sql.join(range('a2').map((c) => sql`and ${c}`), sql` `)}
    where x.app_user = ${user} and x.transactional and auditql.tx_namespace(a2.format, a2.extra) = 'postgresql')`;

export async function pageActivityByUser(
  db: Kysely<Warehouse>, user: string, q: Omit<ActivityQuery, 'dbUser'>, page: PageRequest,
): Promise<ActivityRecord[]> {
  const base = activityConditions(q);
  if (page.after) base.push(afterKeyset('a', page.order, page.after));
  const read = async (range: WindowRange, limit: number) => {
    const asDbUser = allOf([...base, ...range('a'), sql`a.db_user = ${user}`]);
    const asAppUser = allOf([...base, ...range('a'), sql`a.seq in ${appUserActivity(user, range)}`]);
    const r = await sql<ActivityRecord>`with pick as (
        (select a.seq, a.part_at from auditql.activity a where ${asDbUser} ${orderBy('a', page.order)} limit ${limit})
        union
        (select a.seq, a.part_at from auditql.activity a where ${asAppUser} ${orderBy('a', page.order)} limit ${limit}))
      select ${activityColumns('a')} from pick p join auditql.activity a on a.seq = p.seq and a.part_at = p.part_at
        ${sql.join(range('a').map((c) => sql`and ${c}`), sql` `)}
      ${orderBy('a', page.order)} limit ${limit}`.execute(db);
    return r.rows;
  };
  if (page.order === 'NEWEST_FIRST') {
    // Both arms and the join back read the same few daily partitions at a time (day-walk.ts).
    const walked = await walkDays(db, 'activity', { after: page.after, since: q.since, until: q.until }, page.limit, read);
    if (walked) return walked;
  }
  return read(() => [], page.limit);
}
