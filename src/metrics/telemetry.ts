/**
 * A process's metrics (docs/operations.md "Metrics"): one registry, the ingest, API and forwarder metrics registered
 * in it, and the warehouse gauges once a warehouse is known. The CLI builds one per process
 * (`processTelemetry`); tests and embedders build their own with `createTelemetry`, so nothing collides.
 */
import type { Registry } from 'prom-client';
import type { WarehouseDb } from '../warehouse/db.js';
import { ApiMetrics } from './api-metrics.js';
import { IngestMetrics } from './ingest-metrics.js';
import { ForwarderMetrics } from './forwarder-metrics.js';
import { createMetricsRegistry } from './registry.js';
import { registerWarehouseMetrics } from './warehouse-metrics.js';

export interface Telemetry {
  readonly registry: Registry;
  readonly ingest: IngestMetrics;
  readonly api: ApiMetrics;
  readonly forward: ForwarderMetrics;
  /** Register the warehouse gauges (the first warehouse given; later calls do nothing). */
  watchWarehouse(warehouse: Pick<WarehouseDb, 'db'>): void;
  /** The exposition text and its content type. */
  scrape(): Promise<{ readonly contentType: string; readonly body: string }>;
}

export function createTelemetry(o: { readonly processMetrics?: boolean } = {}): Telemetry {
  const registry = createMetricsRegistry(o);
  let watching = false;
  return {
    registry,
    ingest: new IngestMetrics(registry),
    api: new ApiMetrics(registry),
    forward: new ForwarderMetrics(registry),
    watchWarehouse(warehouse) {
      if (watching) return;
      watching = true;
      registerWarehouseMetrics(registry, warehouse);
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

let processWide: Telemetry | undefined;

/** The CLI process's telemetry (created on first use, with the process and Node.js collectors). */
export function processTelemetry(): Telemetry {
  processWide ??= createTelemetry({ processMetrics: true });
  return processWide;
}
