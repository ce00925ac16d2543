/**
 * The entity locator's write side (docs/warehouse.md "Reading one entity: the locator"): which UTC days
 * each entity has changes on, in `auditql.entity_parts` (migrations/042_entity_locator.sql). The sink
 * records a batch's (entity, day) pairs in the batch's transaction, so a reader never sees a change the
 * locator does not know; retention deletes the rows of the days it drops. The read side is
 * queries/located-changes.ts.
 */
import type pg from 'pg';
import type { AuditEvent, ChangeEvent } from '../model/events.js';
import { keyText } from '../model/row-key.js';
import { partDayOf } from './partitions.js';

// One statement per batch, append-only: no unique key and no ON CONFLICT, so writers of different streams
// never wait on each other's uncommitted locator rows (an ON CONFLICT on a row another transaction has not
// committed yet waits for it: two writers touching one entity would take turns). A day can so hold one row
// per batch that wrote the entity; reads add their counts up (queries/located-changes.ts).
const LOCATE_SQL = `INSERT INTO auditql.entity_parts (table_name, key_text, database_name, schema_name, part_day, n)
  SELECT u.t, u.k, u.d, u.s, u.day, count(*) FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[]) AS u(t, k, d, s, day)
  GROUP BY 1, 2, 3, 4, 5`;

/** Record where a batch's changes are, inside the batch's transaction. Redelivered changes only add to a count; the sink calls it only for a batch that stored changes. */
export async function locateChanges(client: pg.PoolClient, events: readonly AuditEvent[] | undefined): Promise<void> {
  const changes = (events ?? []).filter((e): e is ChangeEvent => e.kind === 'change');
  if (changes.length === 0) return;
  await client.query(LOCATE_SQL, [
    changes.map((e) => e.table),
    changes.map((e) => keyText(e.key)),
    changes.map((e) => e.database ?? null),
    changes.map((e) => e.schema ?? null),
    changes.map((e) => partDayOf(e.committedAt)),
  ]);
}

/** Retention: forget the days whose partitions were dropped. */
export async function forgetDays(pool: pg.Pool, days: readonly string[]): Promise<void> {
  if (days.length === 0) return;
  await pool.query('DELETE FROM auditql.entity_parts WHERE part_day = ANY($1::date[])', [days]);
}

/** Retention on TimescaleDB: forget the days from `from` (inclusive) to `to` (exclusive), whose chunks were dropped. */
export async function forgetDaysBetween(pool: pg.Pool, from: string, to: string): Promise<void> {
  await pool.query('DELETE FROM auditql.entity_parts WHERE part_day >= $1::date AND part_day < $2::date', [from, to]);
}
