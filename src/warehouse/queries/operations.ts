/**
 * What operators watch of the warehouse itself (docs/operations.md "Warehouse"), read on each scrape:
 * the feed watermark (the highest seq visible: `feedHead`), the highest seq allocated so far, and how many
 * partitions (or TimescaleDB chunks) each time-partitioned table has. Catalog reads and index probes only.
 */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';
import { feedHead } from './feed.js';

export interface WarehouseGauges {
  readonly watermark: string;
  /** `feed_seq`'s last value; null when this role may not read the sequence. */
  readonly allocated: string | null;
  readonly partitions: Readonly<Record<string, number>>;
}

export async function warehouseGauges(db: Kysely<Warehouse>): Promise<WarehouseGauges> {
  const [watermark, allocated, parts] = await Promise.all([
    feedHead(db),
    sql<{ v: string }>`select last_value::int8 as v from auditql.feed_seq`.execute(db).then((r) => r.rows[0]?.v ?? null, () => null),
    sql<{ table: string; n: string }>`select p.relname as table, count(*)::int8 as n
      from pg_inherits i join pg_class p on p.oid = i.inhparent join pg_namespace ns on ns.oid = p.relnamespace
      where ns.nspname = 'auditql' and p.relname in ('changes', 'activity') group by p.relname`.execute(db),
  ]);
  const partitions: Record<string, number> = { changes: 0, activity: 0 };
  for (const r of parts.rows) partitions[r.table] = Number(r.n);
  return { watermark, allocated, partitions };
}
