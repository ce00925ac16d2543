/**
 * Retention and compression on the TimescaleDB path (docs/warehouse.md "TimescaleDB"): whole chunks are
 * dropped or compressed, never rows deleted. Run by auditql's own maintenance (maintenance.ts, `auditql
 * retention`) rather than by TimescaleDB job policies, so both paths keep one schedule, one log line and one
 * rule, and nothing depends on TimescaleDB's background scheduler.
 */
import type pg from 'pg';
import { dropPartitionRecorded, type RetentionSigner } from './ledger/retention-event.js';

/**
 * Drop the chunks of these hypertables (in schema auditql) that end at or before `cutoff` and start at or
 * after `earliest`: chunks before the plain path's managed window — unknown times are stored at the epoch —
 * are kept, as the plain path keeps its default partition. With `ledger`, each chunk is dropped with its
 * signed retention event in one transaction, as a partition is (docs/ledger.md "Retention"). Returns the
 * dropped chunks' names.
 */
export async function dropChunksBefore(
  pool: pg.Pool, tables: readonly ('changes' | 'activity')[], cutoff: Date, earliest: Date, ledger: RetentionSigner | null = null,
): Promise<string[]> {
  const dropped: string[] = [];
  for (const t of tables) {
    if (!ledger) {
      const r = await pool.query<{ chunk: string }>(
        `SELECT c::text AS chunk FROM drop_chunks('auditql.${t}', older_than => $1::timestamptz, newer_than => $2::timestamptz) c`,
        [cutoff.toISOString(), earliest.toISOString()],
      );
      dropped.push(...r.rows.map((x) => x.chunk));
      continue;
    }
    const chunks = await pool.query<{ chunk: string; range_start: Date; range_end: Date }>(
      `SELECT format('%I.%I', chunk_schema, chunk_name) AS chunk, range_start, range_end FROM timescaledb_information.chunks
        WHERE hypertable_schema = 'auditql' AND hypertable_name = $1 AND range_end <= $2 AND range_start >= $3 ORDER BY range_start`,
      [t, cutoff, earliest],
    );
    for (const c of chunks.rows) {
      await dropPartitionRecorded(pool, t, c.chunk, c.range_start, c.range_end, ledger);
      dropped.push(c.chunk);
    }
  }
  return dropped.sort();
}

/** Compress the chunks of these hypertables that end at or before `cutoff` and are not compressed yet; returns their names. */
export async function compressChunksBefore(pool: pg.Pool, tables: readonly string[], cutoff: Date): Promise<string[]> {
  const compressed: string[] = [];
  for (const t of tables) {
    const r = await pool.query<{ chunk: string }>(
      `SELECT compress_chunk(c, if_not_compressed => true)::text AS chunk
         FROM show_chunks('auditql.${t}', older_than => $1::timestamptz) c
        WHERE NOT EXISTS (SELECT 1 FROM timescaledb_information.chunks i
                           WHERE format('%I.%I', i.chunk_schema, i.chunk_name)::regclass = c AND i.is_compressed)`,
      [cutoff.toISOString()],
    );
    compressed.push(...r.rows.map((x) => x.chunk));
  }
  return compressed.sort();
}
