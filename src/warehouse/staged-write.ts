/**
 * The staging write of one event kind: the sink's fallback (sink.ts). COPY into a per-session temporary
 * staging table without indexes or WAL, then one INSERT … SELECT that gives the rows feed sequence numbers
 * in batch order (one block from auditql.allocate_seqs, as the direct write takes) and lets the unique key
 * absorb rows that already exist, also rows a concurrent writer inserted without taking the stream lock
 * (ON CONFLICT waits for it and skips; a skipped row leaves its seq unused). Every row is written twice, which
 * is why the direct write (direct-write.ts) is the normal path. The staging table empties itself at commit.
 */
import type pg from 'pg';
import type { AuditEvent, EventKind } from '../model/events.js';
import { KIND_TABLES, type ColumnSpec } from './columns.js';
import { bulkTarget, bulkWrite, type BulkTarget } from './bulk-write.js';

const stageTable = (kind: EventKind) => `pg_temp.auditql_stage_${kind.replace('-', '_')}`;

function stageDdl(kind: EventKind, columns: readonly ColumnSpec<never>[]): string {
  const cols = columns.map((c) => `${c.column} ${c.type}`).join(', ');
  return `CREATE TEMP TABLE IF NOT EXISTS ${stageTable(kind).slice('pg_temp.'.length)} (n integer, position text, ${cols}) ON COMMIT DELETE ROWS`;
}

function insertSql(kind: EventKind, table: string, conflict: string, columns: readonly ColumnSpec<never>[]): string {
  const names = columns.map((c) => c.column).join(', ');
  return (
    `WITH a AS (SELECT q.seq, (row_number() OVER (ORDER BY q.seq) - 1)::int8 AS n FROM auditql.allocate_seqs($2::int) q(seq)) ` +
    `INSERT INTO ${table} (seq, source, position, ${names}) ` +
    `SELECT a.seq, $1, s.position, ${columns.map((c) => `s.${c.column}`).join(', ')} FROM ${stageTable(kind)} s JOIN a ON a.n = s.n ORDER BY s.n ` +
    `ON CONFLICT ${conflict} DO NOTHING RETURNING seq`
  );
}

interface KindSql { readonly stage: string; readonly copy: BulkTarget; readonly insert: string }

const SQL = Object.fromEntries(
  Object.entries(KIND_TABLES).map(([kind, t]) => {
    const cols = t.columns as readonly ColumnSpec<never>[];
    const k = kind as EventKind;
    return [k, {
      stage: stageDdl(k, cols),
      copy: bulkTarget(stageTable(k), [{ column: 'n', type: 'bigint' }, { column: 'position', type: 'text' }, ...cols]),
      insert: insertSql(k, t.table, t.conflict, cols),
    } satisfies KindSql];
  }),
) as Record<EventKind, KindSql>;

/** Store the events of one kind that are not stored yet; returns the new rows' seqs in batch order. */
export async function writeStaged(client: pg.PoolClient, source: string, kind: EventKind, events: readonly AuditEvent[]): Promise<string[]> {
  // Created in the batch transaction, so a batch that fails later takes the table with it: remembering
  // "this connection has it" would break the connection's next fallback. IF NOT EXISTS costs one catalog
  // probe, and this path only runs when the direct write met a writer that ignored the stream lock.
  await client.query(SQL[kind].stage);
  const columns = KIND_TABLES[kind].columns as readonly ColumnSpec<AuditEvent>[];
  await bulkWrite(client, SQL[kind].copy, events.length, (i) => {
    const e = events[i]!;
    const cells: (string | number | boolean | null)[] = [i, e.position];
    for (const c of columns) cells.push(c.get(e));
    return cells;
  });
  const r = await client.query<{ seq: string }>(SQL[kind].insert, [source, events.length]);
  return r.rows.map((x) => String(x.seq)).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
}
