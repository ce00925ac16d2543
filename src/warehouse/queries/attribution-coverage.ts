/**
 * Attribution coverage (docs/attribution.md "Reading it"): for a set of changes (a time range, a source, a table …), how
 * many are attributed exactly, only probably, or not at all, and how many carry conflicting evidence — so
 * users see the gaps instead of trusting silence. Also the unattributed changes themselves, a page at a time.
 *
 * A change counts as attributed when some evidence names a user (database or application user): a context
 * message without a `user` says which request it was, not who. `exact` + `probable` + `unattributed` =
 * `total`; `conflicting` overlaps them.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Warehouse } from '../tables.js';
import { changeConditions, type ChangeQuery, type PageRequest } from './change-page.js';
import { changeColumns, type ChangeRecord } from './change-record.js';
import { afterKeyset, allOf, orderBy } from './keyset.js';

export interface AttributionCoverage {
  readonly total: string;
  readonly exact: string;
  readonly probable: string;
  readonly unattributed: string;
  readonly conflicting: string;
  readonly withDbUser: string;
  readonly withAppUser: string;
}

/** Evidence of change alias `c` that names someone. */
const naming = (confidence: 'EXACT' | 'PROBABLE'): RawBuilder<boolean> =>
  sql<boolean>`bool_or(at.confidence = ${confidence} and (at.db_user is not null or at.app_user is not null))`;

export async function attributionCoverage(db: Kysely<Warehouse>, q: ChangeQuery): Promise<AttributionCoverage> {
  const r = await sql<AttributionCoverage>`select count(*)::text as "total",
      count(*) filter (where e.exact)::text as "exact",
      count(*) filter (where not e.exact and e.probable)::text as "probable",
      count(*) filter (where not e.exact and not e.probable)::text as "unattributed",
      count(*) filter (where e.db_users > 1 or e.app_users > 1)::text as "conflicting",
      count(*) filter (where e.db_users > 0)::text as "withDbUser",
      count(*) filter (where e.app_users > 0)::text as "withAppUser"
    from auditql.changes c
    cross join lateral (select coalesce(${naming('EXACT')}, false) as exact, coalesce(${naming('PROBABLE')}, false) as probable,
        count(distinct at.db_user) as db_users, count(distinct at.app_user) as app_users
      from auditql.attributions at where at.change_seq = c.seq) e
    where ${allOf(changeConditions(q))}`.execute(db);
  return r.rows[0]!;
}

/** Changes matching `q` with no evidence naming anyone, in the page order (newest first or feed order). */
export async function pageUnattributedChanges(db: Kysely<Warehouse>, q: ChangeQuery, page: PageRequest): Promise<ChangeRecord[]> {
  const where = changeConditions(q);
  where.push(sql`not exists (select 1 from auditql.attributions at
    where at.change_seq = c.seq and (at.db_user is not null or at.app_user is not null))`);
  if (page.after) where.push(afterKeyset('c', page.order, page.after));
  const r = await sql<ChangeRecord>`select ${changeColumns('c')} from auditql.changes c
    where ${allOf(where)} ${orderBy('c', page.order)} limit ${page.limit}`.execute(db);
  return r.rows;
}
