/**
 * What operators watch of the warehouse itself (docs/operations.md "Warehouse"), read on each scrape:
 * the feed watermark (`feedHead`: every row at or below it is settled), the highest seq allocated so far,
 * how long the oldest writer still in flight has held the watermark back, and how many partitions (or
 * TimescaleDB chunks) each time-partitioned table has. Catalog reads and index probes only.
 */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';

export interface WarehouseGauges {
  readonly watermark: string;
  /** `feed_seq`'s last value. */
  readonly allocated: string;
  /**
   * Seconds the oldest writing transaction still in flight has been open (0: none is); null when the
   * warehouse owner may not read other sessions' activity.
   */
  readonly oldestWriterSeconds: number | null;
  readonly partitions: Readonly<Record<string, number>>;
}

export async function warehouseGauges(db: Kysely<Warehouse>): Promise<WarehouseGauges> {
  const [feed, parts] = await Promise.all([
    sql<{ head: string; allocated: string; writers: number; seconds: number | null }>`select w.head::text as head, w.allocated::text as allocated,
        w.writers, extract(epoch from clock_timestamp() - w.oldest_writer_since)::float8 as seconds
      from auditql.feed_watermark() w`.execute(db).then((r) => r.rows[0]!),
    sql<{ table: string; n: string }>`select p.relname as table, count(*)::int8 as n
      from pg_inherits i join pg_class p on p.oid = i.inhparent join pg_namespace ns on ns.oid = p.relnamespace
      where ns.nspname = 'auditql' and p.relname in ('changes', 'activity') group by p.relname`.execute(db),
  ]);
  const partitions: Record<string, number> = { changes: 0, activity: 0 };
  for (const r of parts.rows) partitions[r.table] = Number(r.n);
  const oldestWriterSeconds = feed.writers === 0 ? 0 : feed.seconds === null ? null : Math.max(0, feed.seconds);
  return { watermark: feed.head, allocated: feed.allocated, oldestWriterSeconds, partitions };
}
