/**
 * `auditql serve` (docs/configuration.md "Commands"): migrate, then GraphQL over HTTP at `/graphql` (GraphiQL for
 * browsers on the same path) until SIGINT/SIGTERM, which drain in-flight requests before exiting.
 */
import type { EnvConfig } from '../../config/env.js';
import { childLogger, type Logger } from '../../log.js';
import { processTelemetry } from '../../metrics/telemetry.js';
import { installSignalHandlers, onShutdown } from '../../lifecycle.js';
import { connectWarehouse, type Connected } from '../../warehouse/connect.js';
import { startApiServer, type ApiServer } from '../../graphql/server.js';
import { loadFirehoseConfig, type FirehoseConfig } from '../../config/firehose.js';
import { loadDecoder } from '../../decoders/registry.js';
import { firehoseRouter, type FirehoseRouterOptions } from '../../sources/firehose/firehose-router.js';
import { deliveryStore } from '../../ingest/deliveries.js';
import { warehouseSink } from '../../ingest/run.js';
import type { WarehouseDb } from '../../warehouse/db.js';
import { withKeyProviders } from './key-providers.js';
import { publicKeyRouter } from '../../graphql/ledger/public-key-route.js';
import { ledgerConfig } from '../../config/ledger.js';

export interface Serving {
  readonly connected: Connected;
  readonly api: ApiServer;
}

/** The Firehose endpoint's sources, ready to serve: decoders loaded, the DAS KMS key provider injected. */
async function firehoseOptions(config: FirehoseConfig, warehouse: WarehouseDb): Promise<Omit<FirehoseRouterOptions, 'log'>> {
  const endpoints = await Promise.all(config.sources.map(async (s) => ({
    name: s.name, accessKey: s.accessKey, decoder: await loadDecoder(s.format), ctx: withKeyProviders(s.ctx, [s.format]),
  })));
  return { endpoints, store: deliveryStore(warehouseSink(warehouse.pool)), maxBodyBytes: config.maxBodyBytes, maxConcurrentDeliveries: config.concurrency };
}

/**
 * Connect (and migrate) the warehouse and start the API, registering shutdown hooks: the server closes
 * first, then the warehouse. Composable: `start` builds on it.
 */
export async function startServing(env: EnvConfig, log: Logger): Promise<Serving> {
  const firehose = loadFirehoseConfig(); // fails fast, before the warehouse starts
  for (const w of firehose.warnings) log.warn(w);
  const connected = await connectWarehouse(env, { log: log.info, applicationName: 'auditql-api' });
  const firehoseRoute = firehose.sources.length > 0 ? await firehoseOptions(firehose, connected.warehouse) : null;
  onShutdown(() => connected.close());
  const api = await startApiServer({
    warehouse: connected.warehouse,
    port: env.port,
    host: env.host,
    introspection: env.introspection,
    log: childLogger(log, { component: 'api' }),
    telemetry: processTelemetry(),
    // `auditql start` ingests in this process: it is ready only while its sources run.
    readiness: [processTelemetry().ingest.readiness()],
    routes: [
      () => publicKeyRouter(ledgerConfig().signer),
      ...(firehoseRoute ? [(routeLog: Logger) => firehoseRouter({ ...firehoseRoute, log: routeLog })] : []),
    ],
  });
  if (firehose.sources.length > 0) {
    log.info(`Firehose HTTP endpoint: POST ${api.url.replace(/\/graphql$/, '')}/ingest/firehose/{${firehose.sources.map((s) => s.name).join(',')}}`);
  }
  onShutdown(async () => {
    log.info('shutting down: draining in-flight requests');
    await api.close();
  });
  return { connected, api };
}

/** Resolves when the process is asked to stop (the signal handlers then run the shutdown hooks and exit). */
export const untilShutdown = (): Promise<never> => new Promise<never>(() => {});

export async function serveCommand(env: EnvConfig, log: Logger): Promise<number> {
  installSignalHandlers();
  const { api } = await startServing(env, log);
  log.info(`GraphQL API at ${api.url} (GraphiQL: open it in a browser)`);
  return untilShutdown();
}
