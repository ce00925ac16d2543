/**
 * `auditql start` (what `npm start` runs; docs/architecture.md "Running it"): migrate, serve, and ingest.
 * - No DATABASE_URL: the embedded PostgreSQL holds the warehouse and a demo shop database whose live
 *   workload (several database users, some transactions with application context) is captured through
 *   logical replication — history, attribution and live subscriptions at once — and the server's own
 *   csvlog is followed as its activity stream (statements, connections, failed logins).
 * - AUDITQL_INGEST: the configured sources, each an `auditql ingest` argument list, separated by `;`.
 * - AUDITQL_FORWARD: forwarders, each an `auditql forward` argument list, separated by `;` (start-forwarders.ts).
 */
import type { EnvConfig } from '../../config/env.js';
import type { Logger } from '../../log.js';
import { installSignalHandlers, onShutdown, shutdown } from '../../lifecycle.js';
import { decodeContext } from '../../decoders/context.js';
import { ensureDemoSource } from '../../demo/demo-source.js';
import { startWorkload } from '../../demo/workload.js';
import { startDemoActivity } from '../../demo/demo-activity.js';
import { DEMO_PUBLICATION, DEMO_SLOT } from '../../demo/shop-schema.js';
import { examples, formatExamples } from '../../graphql/examples.js';
import { startServing, untilShutdown, type Serving } from './serve.js';
import { startMaintenance } from '../../warehouse/maintenance.js';
import { retentionSigner } from '../../config/ledger.js';
import { startPostgresCapture } from './ingest-postgres.js';
import { parseIngestArgs } from './ingest-options.js';
import { ingestLiveCommand } from './ingest-live.js';
import { processTelemetry } from '../../metrics/telemetry.js';
import { loadPolicy } from '../../policy/load-policy.js';
import { prepareForwarders, startForwarders } from './start-forwarders.js';

async function startDemo(s: Serving, log: Logger): Promise<void> {
  const embedded = s.connected.embedded;
  if (!embedded) return;
  const source = await ensureDemoSource(embedded.url('postgres'));
  const capture = await startPostgresCapture({
    pool: s.connected.warehouse.pool,
    sourceName: 'demo',
    sourceUrl: source.captureUrl,
    publication: DEMO_PUBLICATION,
    slot: DEMO_SLOT,
    createSlot: true,
    ctx: decodeContext(),
    log,
    observer: processTelemetry().ingest.observer('demo'),
  });
  capture.done.catch((err: Error) => {
    log.error(`demo capture stopped: ${err.message}`);
  });
  const activity = await startDemoActivity({ adminUrl: embedded.url('postgres'), pool: s.connected.warehouse.pool, log });
  activity?.done.catch((err: Error) => {
    log.error(`demo activity stream stopped: ${err.message}`);
  });
  const workload = startWorkload(source, log);
  onShutdown(() => workload.stop());
  log.info('demo: a shop database (customers, products, orders, order_lines) changes every second as shop_web, bob and carol; captured live');
  if (activity) log.info("demo: the server's own log (statements, connections, failed logins) is read as the activity stream");
}

function startConfigured(env: EnvConfig, log: Logger): void {
  for (const args of env.ingest) {
    const o = parseIngestArgs(args);
    if (o.from === 'file' && !o.follow) {
      log.warn('AUDITQL_INGEST: --from file without --follow is for `auditql ingest`, not `start`; skipped');
      continue;
    }
    log.info(`ingesting --from ${o.from} as source ${JSON.stringify(o.source)}`);
    ingestLiveCommand(env, o, log).catch((err: Error) => {
      log.error(`ingest --from ${o.from} (${o.source}) failed: ${err.message}`);
      void shutdown().finally(() => process.exit(1));
    });
  }
}

export async function startCommand(env: EnvConfig, log: Logger): Promise<number> {
  installSignalHandlers();
  // Validate every configured source and forwarder before anything starts.
  for (const args of env.ingest) parseIngestArgs(args);
  const forwarders = prepareForwarders(env.forward, loadPolicy(), log);
  const serving = await startServing(env, log, { devAdminKey: env.demo });
  onShutdown(startMaintenance(serving.connected.warehouse.pool, {
    retentionDays: env.retentionDays, compressAfterDays: env.compressAfterDays, log, ledger: retentionSigner(),
  }));
  if (env.demo) await startDemo(serving, log);
  startConfigured(env, log);
  startForwarders(forwarders, serving.connected.warehouse.url, log);
  const url = serving.api.url;
  log.info(`GraphQL API and GraphiQL: ${url}   (open it in a browser; subscriptions: ws${url.slice(4)})`);
  log.info(`a few example queries (all preloaded in GraphiQL, variables included):\n\n${formatExamples(examples().slice(0, 2))}`);
  log.info('Ctrl-C stops everything cleanly');
  return untilShutdown();
}
