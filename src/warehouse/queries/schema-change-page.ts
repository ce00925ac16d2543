/**
 * A page of the schema-change timeline (auditql.schema_changes: DDL from Maxwell and Debezium), newest
 * first. Rows are walked by `(time, seq)` downward like changes and activity, where time is `occurred_at`,
 * or the epoch when the source gave none (such rows come last), down `schema_changes_time` or, for one
 * table, `schema_changes_table_time` (migrations/032_schema_change_timeline.sql).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { SchemaChangeEvent } from '../../model/events.js';
import type { Warehouse } from '../tables.js';
import type { PageRequest } from './change-page.js';
import { afterKeyset, allOf, orderBy, partUsOf, type Keyset } from './keyset.js';

/** A stored schema change: the event's fields as stored, where it sits in the timeline, and its source. */
export interface SchemaChangeRecord extends Keyset, Omit<SchemaChangeEvent, 'kind'> {
  readonly source: string;
  readonly ingestedAt: Date;
}

export interface SchemaChangeQuery {
  /** The table the DDL is about (`table_name`); database-level DDL has none. */
  readonly table?: string | null;
  /** Occurred at or after (inclusive). */
  readonly since?: Date | null;
  /** Occurred before (exclusive). */
  readonly until?: Date | null;
}

/** Always newest first. */
export type SchemaChangePageRequest = Omit<PageRequest, 'order'>;

/** The rows with their keyset time as `part_at`, so the keyset helpers apply; the planner inlines it. */
export const TIMELINE = sql`(select s.*, coalesce(s.occurred_at, timestamptz 'epoch') as part_at from auditql.schema_changes s)`;

/** A SchemaChangeRecord's columns, of TIMELINE aliased `t`. */
export const SCHEMA_CHANGE_COLUMNS = sql`t.seq as "seq", ${partUsOf('t')} as "partUs", t.source as "source",
      t.position as "position", t.format as "format", t.change_type as "changeType", t.database_name as "database",
      t.schema_name as "schema", t.table_name as "table", t.ddl as "ddl", t.server as "server",
      t.occurred_at as "occurredAt", t.detail as "detail", t.ingested_at as "ingestedAt"`;

function conditions(q: SchemaChangeQuery): RawBuilder<unknown>[] {
  const w: RawBuilder<unknown>[] = [];
  if (q.table != null) w.push(sql`t.table_name = ${q.table}`);
  if (q.since != null) w.push(sql`t.occurred_at >= ${q.since}::timestamptz`);
  if (q.until != null) w.push(sql`t.occurred_at < ${q.until}::timestamptz`);
  return w;
}

export async function pageSchemaChanges(db: Kysely<Warehouse>, q: SchemaChangeQuery, page: SchemaChangePageRequest): Promise<SchemaChangeRecord[]> {
  const where = conditions(q);
  if (page.after) where.push(afterKeyset('t', 'NEWEST_FIRST', page.after));
  const r = await sql<SchemaChangeRecord>`select ${SCHEMA_CHANGE_COLUMNS}
    from ${TIMELINE} t where ${allOf(where)} ${orderBy('t', 'NEWEST_FIRST')} limit ${page.limit}`.execute(db);
  return r.rows;
}
