/**
 * Where a row sits in the feed, for keyset paging: its feed sequence (`seq`, unique, the feed order)
 * and its partition time (`part_at`, in whole microseconds since the epoch so no precision is lost on the
 * way through a cursor). Newest-first pages walk `(part_at, seq)` downward; feed-order pages walk `seq` up.
 */
import { sql, type RawBuilder } from 'kysely';

export interface Keyset {
  /** int8 as decimal text. */
  readonly seq: string;
  /** `part_at` in microseconds since 1970-01-01T00:00:00Z, as decimal text. */
  readonly partUs: string;
}

/** SELECT expression giving `part_at` of alias `t` in microseconds (int8 → text by the pg type parser). */
export const partUsOf = (alias: string): RawBuilder<string> =>
  sql<string>`(extract(epoch from ${sql.ref(`${alias}.part_at`)}) * 1000000)::bigint`;

/** A timestamptz from microseconds since the epoch, exactly (no float seconds on the way). */
export const fromPartUs = (us: string): RawBuilder<Date> =>
  sql<Date>`(timestamptz 'epoch' + ${us}::bigint * interval '1 microsecond')`;

/** `(t.part_at, t.seq) < keyset`: strictly older than the keyset row, in newest-first order. */
export const olderThan = (alias: string, k: Keyset): RawBuilder<boolean> =>
  sql<boolean>`(${sql.ref(`${alias}.part_at`)}, ${sql.ref(`${alias}.seq`)}) < (${fromPartUs(k.partUs)}, ${k.seq}::bigint)`;

export type PageOrder = 'NEWEST_FIRST' | 'FEED_ORDER';

/** ORDER BY for a page order. */
export const orderBy = (alias: string, order: PageOrder): RawBuilder<unknown> =>
  order === 'FEED_ORDER'
    ? sql`order by ${sql.ref(`${alias}.seq`)} asc`
    : sql`order by ${sql.ref(`${alias}.part_at`)} desc, ${sql.ref(`${alias}.seq`)} desc`;

/** The keyset condition for "after this row" in a page order. */
export const afterKeyset = (alias: string, order: PageOrder, k: Keyset): RawBuilder<boolean> =>
  order === 'FEED_ORDER' ? sql<boolean>`${sql.ref(`${alias}.seq`)} > ${k.seq}::bigint` : olderThan(alias, k);

/** `a and b and …` (true when empty). */
export function allOf(conditions: readonly RawBuilder<unknown>[]): RawBuilder<boolean> {
  return conditions.length === 0 ? sql<boolean>`true` : sql<boolean>`${sql.join(conditions, sql` and `)}`;
}
