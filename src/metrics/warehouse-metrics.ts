/**
 * Warehouse gauges (docs/operations.md "Warehouse"), read from the warehouse on each scrape with a timeout:
 * a warehouse that does not answer in time gives `auditql_warehouse_up 0` and the last values, never a
 * hung scrape.
 */
import { Gauge, type Registry } from 'prom-client';
import type { WarehouseDb } from '../warehouse/db.js';
import { warehouseGauges, type WarehouseGauges } from '../warehouse/queries/operations.js';
import { withTimeout } from './registry.js';

const SCRAPE_TIMEOUT_MS = 2000;

export function registerWarehouseMetrics(registry: Registry, warehouse: Pick<WarehouseDb, 'db'>): void {
  const registers = [registry];
  let pending: Promise<WarehouseGauges | null> | null = null;
  /** One read per scrape, shared by the gauges below (prom-client collects each on its own). */
  const read = () => {
    pending ??= withTimeout(SCRAPE_TIMEOUT_MS, warehouseGauges(warehouse.db))
      .catch(() => null)
      .finally(() => setImmediate(() => { pending = null; }));
    return pending;
  };
  new Gauge({
    name: 'auditql_warehouse_up', help: '1 when the warehouse answered the scrape\'s queries in time.', registers,
    async collect() { this.set((await read()) ? 1 : 0); },
  });
  new Gauge({
    name: 'auditql_warehouse_feed_watermark', help: 'Feed watermark: every row at or below it is settled (subscriptions follow it).', registers,
    async collect() { const g = await read(); if (g) this.set(Number(g.watermark)); },
  });
  new Gauge({
    name: 'auditql_warehouse_feed_sequence', help: 'Highest feed seq allocated by writers (committed or in flight).', registers,
    async collect() { const g = await read(); if (g) this.set(Number(g.allocated)); },
  });
  new Gauge({
    name: 'auditql_warehouse_feed_watermark_lag_seqs',
    help: 'Feed seqs allocated above the watermark: rows of writers in flight, or held back by an older one.', registers,
    async collect() { const g = await read(); if (g) this.set(Math.max(0, Number(BigInt(g.allocated) - BigInt(g.watermark)))); },
  });
  new Gauge({
    name: 'auditql_warehouse_feed_watermark_lag_seconds',
    help: 'How long the oldest writing transaction still in flight has held the watermark back (0: none in flight).', registers,
    async collect() { const g = await read(); if (g && g.oldestWriterSeconds !== null) this.set(g.oldestWriterSeconds); },
  });
  new Gauge({
    name: 'auditql_warehouse_partitions', help: 'Partitions (or TimescaleDB chunks) of a time-partitioned table.', labelNames: ['table'], registers,
    async collect() {
      const g = await read();
      if (g) for (const [table, n] of Object.entries(g.partitions)) this.set({ table }, n);
    },
  });
}
