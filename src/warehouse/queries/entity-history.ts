/**
 * One entity's history read backward from a point: what `entityAt` (time travel) and history stitching
 * (old values an incomplete before image lacks) are rebuilt from. All walk `changes_entity`.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { executeNamed } from '../named-statements.js';
import type { Warehouse } from '../tables.js';
import { changeColumns, type ChangeRecord } from './change-record.js';
import { allOf, olderThan, type Keyset } from './keyset.js';
import { dayOfPartUs, locatedChanges } from './located-changes.js';
import { dayOf } from '../partitions.js';

/** An entity: a table's row by canonical key text, optionally narrowed to a database and schema. */
export interface EntityRef {
  readonly table: string;
  readonly keyText: string;
  readonly database?: string | null;
  readonly schema?: string | null;
  /**
   * false (default): `database`/`schema` narrow only when given. true: they must match exactly, null
   * matching null — used once the entity's scope is known from one of its changes.
   */
  readonly exactScope?: boolean;
}

function scope(alias: string, e: Pick<EntityRef, 'database' | 'schema' | 'exactScope'>): RawBuilder<unknown>[] {
  const w: RawBuilder<unknown>[] = [];
  for (const [col, v] of [['database_name', e.database], ['schema_name', e.schema]] as const) {
    const ref = sql.ref(`${alias}.${col}`);
    if (e.exactScope) w.push(v == null ? sql`${ref} is null` : sql`${ref} = ${v}`);
    else if (v != null) w.push(sql`${ref} = ${v}`);
  }
  return w;
}

export type HistoryBound = { readonly atOrBefore: Date } | { readonly olderThan: Keyset };

/** Newest first: up to `limit` changes of the entity at or before a time, or strictly older than a row. */
export async function entityChangesBackward(
  db: Kysely<Warehouse>, e: EntityRef, bound: HistoryBound, limit: number,
): Promise<ChangeRecord[]> {
  const where = [sql`c.table_name = ${e.table}`, sql`c.key_text = ${e.keyText}`, ...scope('c', e)];
  where.push('atOrBefore' in bound ? sql`c.part_at <= ${bound.atOrBefore}::timestamptz` : olderThan('c', bound.olderThan));
  const toDay = 'atOrBefore' in bound ? dayOf(bound.atOrBefore) : dayOfPartUs(bound.olderThan.partUs);
  const located = await locatedChanges(db, e, { where, toDay, fromDay: null, partialToDay: true, limit });
  if (located) return located;
  // TimescaleDB: walks changes_entity whatever the values, so named, planned once per connection.
  const r = await executeNamed(db, 'entity_backward', sql<ChangeRecord>`select ${changeColumns('c')} from auditql.changes c
    where ${allOf(where)} order by c.part_at desc, c.seq desc limit ${limit}`);
  return r.rows;
}

/** The latest TRUNCATE of a table (exact database/schema) at or before a time. */
export async function latestTruncate(
  db: Kysely<Warehouse>, t: { table: string; database: string | null; schema: string | null }, at: Date,
): Promise<ChangeRecord | null> {
  const where = [sql`c.table_name = ${t.table}`, sql`c.operation = 'TRUNCATE'`, sql`c.part_at <= ${at}::timestamptz`,
    ...scope('c', { ...t, exactScope: true })];
  const r = await sql<ChangeRecord>`select ${changeColumns('c')} from auditql.changes c
    where ${allOf(where)} order by c.part_at desc, c.seq desc limit 1`.execute(db);
  return r.rows[0] ?? null;
}

export interface HistoryTarget extends Keyset {
  readonly table: string;
  readonly keyText: string;
  readonly database: string | null;
  readonly schema: string | null;
}

/**
 * For each target change (in order): up to `depth` earlier changes of the same entity (same database and
 * schema), newest first. One statement for any number of targets.
 */
export async function precedingChanges(db: Kysely<Warehouse>, targets: readonly HistoryTarget[], depth: number): Promise<ChangeRecord[][]> {
  if (targets.length === 0) return [];
  const r = await sql<ChangeRecord & { i: string }>`select t.i as "i", p.* from unnest(
      ${targets.map((t) => t.table)}::text[], ${targets.map((t) => t.keyText)}::text[],
      ${targets.map((t) => t.database)}::text[], ${targets.map((t) => t.schema)}::text[],
      ${targets.map((t) => t.partUs)}::bigint[], ${targets.map((t) => t.seq)}::bigint[]
    ) with ordinality as t(table_name, key_text, database_name, schema_name, part_us, seq, i)
    cross join lateral (select ${changeColumns('c')} from auditql.changes c
      where c.table_name = t.table_name and c.key_text = t.key_text
        and (c.database_name = t.database_name or (c.database_name is null and t.database_name is null))
        and (c.schema_name = t.schema_name or (c.schema_name is null and t.schema_name is null))
        and (c.part_at, c.seq) < (timestamptz 'epoch' + t.part_us * interval '1 microsecond', t.seq)
      order by c.part_at desc, c.seq desc limit ${depth}) p
    order by t.i, p."partUs" desc, p.seq desc`.execute(db);
  const out: ChangeRecord[][] = targets.map(() => []);
  for (const { i, ...row } of r.rows) out[Number(i) - 1]!.push(row);
  return out;
}
