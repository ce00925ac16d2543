/** Writing changes through the real sink, and reading back the seqs stored, for the subscription tests. */
import type pg from 'pg';
import type { AuditEvent } from '../../src/model/events.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';

/** Store `events` in one batch as `source`; the seqs of its changes, in order. */
export async function writeChanges(pool: pg.Pool, source: string, events: readonly AuditEvent[]): Promise<readonly string[]> {
  const r = await new WarehouseSink(pool).write({ source, events, deadLetters: [], checkpoints: [] });
  return r.seqs.change;
}

/** The stored seqs of `table`'s changes above `after`, in feed order. */
export async function storedSeqsAfter(pool: pg.Pool, table: string, after: bigint): Promise<bigint[]> {
  const r = await pool.query<{ seq: string }>('select seq from auditql.changes where table_name = $1 and seq > $2 order by seq', [table, after.toString()]);
  return r.rows.map((x) => BigInt(x.seq));
}
