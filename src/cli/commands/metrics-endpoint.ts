/**
 * `auditql ingest` and `auditql forward` with AUDITQL_METRICS_PORT: this process's metrics and probes on HOST:port
 * (docs/operations.md). Readiness: every source this process ingests runs (its forwarders failing only
 * degrade it) and, with DATABASE_URL, the
 * warehouse answers with current migrations (through its own one-connection pool, so probes never queue
 * behind batch writes).
 */
import type { EnvConfig } from '../../config/env.js';
import { warehouseReadiness, type ReadinessCheck } from '../../health/readiness.js';
import { onShutdown } from '../../lifecycle.js';
import { childLogger, type Logger } from '../../log.js';
import { startMetricsServer, type MetricsServer } from '../../metrics/metrics-server.js';
import { processTelemetry } from '../../metrics/telemetry.js';
import { openWarehouse } from '../../warehouse/db.js';

export async function ingestMetricsEndpoint(env: EnvConfig, log: Logger): Promise<MetricsServer | null> {
  if (env.metricsPort === null) return null;
  const telemetry = processTelemetry();
  const checks: ReadinessCheck[] = [telemetry.ingest.readiness(), telemetry.forward.readiness()];
  const warehouse = env.databaseUrl ? openWarehouse(env.databaseUrl, { max: 1, applicationName: 'auditql-metrics' }) : null;
  if (warehouse) {
    checks.unshift(warehouseReadiness(warehouse.pool));
    telemetry.watchWarehouse(warehouse);
  }
  const server = await startMetricsServer({
    telemetry, readiness: checks, port: env.metricsPort, host: env.host, log: childLogger(log, { component: 'metrics' }),
  });
  log.info(`metrics at ${server.url} (probes: /healthz, /readyz)`);
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= server.close().then(() => warehouse?.close()));
  onShutdown(close);
  return { port: server.port, url: server.url, close };
}
