/**
 * The direct write of one event kind: the sink's normal path (sink.ts). Every row is written once, by COPY
 * straight into the kind's table (the partitioned parent for changes and activity; PostgreSQL routes each
 * row to its partition), instead of twice through a staging table (staged-write.ts).
 *
 * COPY has no ON CONFLICT, so redelivered rows are dropped before it:
 * 1. probe: one statement asks which of the batch's keys are already stored for the source, one unique-index
 *    probe per batch row;
 * 2. in-batch repeats of a key are dropped too, keeping the first occurrence (what ON CONFLICT DO NOTHING
 *    does in batch order);
 * 3. one round trip allocates a `seq` per remaining row (auditql.allocate_seqs, the only way the writer role
 *    can draw from auditql.feed_seq: one block above the transaction's in-flight marker, with no other
 *    block in between), assigned in batch order;
 * 4. COPY the remaining rows with their explicit seq (bulk-write.ts; an INSERT on a server without COPY IN).
 *
 * This is only exact because the caller holds the lock of every (source, stream) of the batch from before
 * the probe until commit, and every writer of the event tables takes them first: `WarehouseSink.write` is
 * the only code that inserts into changes, activity, contexts, transaction_events and schema_changes
 * (attribution, src/warehouse/attribution/, inserts only into auditql.attributions). The unique key is per
 * source and a source's stream owns its positions, so rows committed by earlier holders of the stream's lock
 * are visible to the probe (a transaction becomes visible before it releases its locks), and no other sink
 * can insert a probed key between the probe and the COPY. A writer that ignores the lock
 * (a manual INSERT, a bulk load) makes the COPY fail with a unique violation; the sink then rolls back to a
 * savepoint and writes the kind through the staging path, whose ON CONFLICT absorbs it.
 */
import type pg from 'pg';
import type { AuditEvent, EventKind } from '../model/events.js';
import { KIND_TABLES, type ColumnSpec } from './columns.js';
import { bulkTarget, bulkWrite, type BulkTarget } from './bulk-write.js';

type Cell = string | number | boolean | null;

interface DirectSql { readonly probe: string; readonly copy: BulkTarget; readonly partAt: ((e: AuditEvent) => Cell) | null }

/**
 * The probe returns the 1-based batch indexes whose key is stored. Its key is the table's unique key:
 * (source, position, part_at) for the partitioned tables, (source, position) for the others. A LATERAL
 * with LIMIT 1 keeps the plan a nested loop of index probes (a semi join may hash the whole source's rows
 * instead), and `part_at = u.part_at` lets run-time pruning send each probe to its one partition, so the
 * cost grows with the batch, not with the number of partitions kept.
 */
function probeSql(table: string, partitioned: boolean): string {
  return partitioned
    ? `SELECT u.i::int AS i FROM unnest($2::text[], $3::timestamptz[]) WITH ORDINALITY AS u(position, part_at, i) ` +
        `CROSS JOIN LATERAL (SELECT 1 FROM ${table} t WHERE t.source = $1 AND t.position = u.position AND t.part_at = u.part_at LIMIT 1) hit`
    : `SELECT u.i::int AS i FROM unnest($2::text[]) WITH ORDINALITY AS u(position, i) ` +
        `CROSS JOIN LATERAL (SELECT 1 FROM ${table} t WHERE t.source = $1 AND t.position = u.position LIMIT 1) hit`;
}

const SQL = Object.fromEntries(
  Object.entries(KIND_TABLES).map(([kind, t]) => {
    const cols = t.columns as readonly ColumnSpec<AuditEvent>[];
    return [kind, {
      probe: probeSql(t.table, t.partitioned),
      copy: bulkTarget(t.table, [{ column: 'seq', type: 'bigint' }, { column: 'source', type: 'text' }, { column: 'position', type: 'text' }, ...cols]),
      partAt: t.partitioned ? cols.find((c) => c.column === 'part_at')!.get : null,
    } satisfies DirectSql];
  }),
) as Record<EventKind, DirectSql>;

/**
 * Ascending, so assigning them in batch order keeps seq increasing in batch order.
 */
const ALLOCATE_SQL = `SELECT s::text AS seq FROM auditql.allocate_seqs($1::int) s`;

/** Batch indexes to store: not stored yet, first occurrence of each key. */
async function newRows(client: pg.PoolClient, source: string, kind: EventKind, events: readonly AuditEvent[]): Promise<number[]> {
  const { probe, partAt } = SQL[kind];
  const positions = events.map((e) => e.position);
  const times = partAt ? events.map((e) => partAt(e) as string) : null;
  const stored = await client.query<{ i: number }>(probe, times ? [source, positions, times] : [source, positions]);
  const skip = new Uint8Array(events.length);
  for (const r of stored.rows) skip[r.i - 1] = 1;
  // part_at is always the ISO text columns.ts makes (Date#toISOString), so equal text is the equal timestamp
  const seen = new Set<string>();
  const keep: number[] = [];
  for (let i = 0; i < events.length; i++) {
    if (skip[i]) continue;
    const key = times ? `${positions[i]}\u0000${times[i]}` : positions[i]!;
    if (seen.has(key)) continue;
    seen.add(key);
    keep.push(i);
  }
  return keep;
}

/**
 * Store the events of one kind that are not stored yet; returns the new rows' seqs in batch order. The
 * caller holds the batch's stream locks; a unique violation (23505) means a writer ignored them (see above).
 */
export async function writeDirect(client: pg.PoolClient, source: string, kind: EventKind, events: readonly AuditEvent[]): Promise<string[]> {
  const keep = await newRows(client, source, kind, events);
  if (keep.length === 0) return [];
  const seqs = (await client.query<{ seq: string }>(ALLOCATE_SQL, [keep.length])).rows.map((r) => r.seq);
  await bulkWrite(client, SQL[kind].copy, keep.length, (j) => directCells(kind, seqs[j]!, source, events[keep[j]!]!));
  return seqs;
}

/**
 * One direct-write row's cells in the COPY's column order: seq, source, position, then the kind's columns
 * (columns.ts). Exported for bench:ingest's decode-only mode, which encodes rows exactly as the sink does.
 */
export function directCells(kind: EventKind, seq: string, source: string, e: AuditEvent): Cell[] {
  const columns = KIND_TABLES[kind].columns as readonly ColumnSpec<AuditEvent>[];
  const cells: Cell[] = [seq, source, e.position];
  for (const c of columns) cells.push(c.get(e));
  return cells;
}
