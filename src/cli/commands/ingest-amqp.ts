/**
 * `auditql ingest --from amqp --url amqp://… --queue NAME [--prefetch N] [--format F] [--source NAME]`:
 * consume an AMQP 0-9-1 queue (RabbitMQ) until SIGINT/SIGTERM (docs/sources/amqp.md).
 */
import type { EnvConfig } from '../../config/env.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { loadDecoder } from '../../decoders/registry.js';
import { reportSummary, startIngest } from '../../ingest/run.js';
import { LIVE_OUTAGE, outagePolicy } from '../../retry-policy.js';
import { installSignalHandlers, onShutdown, shutdown } from '../../lifecycle.js';
import { amqpSource } from '../../sources/amqp/amqp-source.js';
import { connectWarehouse } from '../../warehouse/connect.js';
import type { IngestOptions } from './ingest-options.js';
import { withKeyProviders } from './key-providers.js';

const bad = (m: string) => new AuditqlError(ErrorCode.BAD_CONFIG, `ingest --from amqp: ${m}`);

export async function ingestAmqpCommand(env: EnvConfig, o: IngestOptions, log: Logger): Promise<number> {
  if (o.files.length > 0) throw bad(`unexpected argument ${JSON.stringify(o.files[0])}: AMQP ingest reads no files`);
  const url = o.url ?? process.env.AUDITQL_AMQP_URL;
  if (!url) throw bad('--url amqp://USER:PASSWORD@HOST:5672/VHOST is required (or set AUDITQL_AMQP_URL)');
  if (!/^amqps?:\/\//.test(url)) throw bad('--url: expected an amqp:// or amqps:// URL');
  if (!o.queue) throw bad('--queue NAME is required');
  const decoder = await loadDecoder(o.format);
  const ctx = withKeyProviders(o.ctx, [o.format]);
  installSignalHandlers();
  const c = await connectWarehouse(env, { log: log.info, applicationName: 'auditql ingest amqp' });
  onShutdown(() => c.close());
  try {
    const source = amqpSource({ url, queue: o.queue, ...(o.prefetch !== undefined ? { prefetch: o.prefetch } : {}), log });
    const run = startIngest({
      pool: c.warehouse.pool, sourceName: o.source, source, decoderFor: () => decoder, ctx, live: true, outage: outagePolicy(env.outageLimitS, LIVE_OUTAGE), batchSize: o.batchSize, flushMs: 50, log,
    });
    reportSummary(await run.done, { json: o.json, label: 'amqp: ', log });
    return 0;
  } finally {
    // SIGTERM: the hooks (the run's first: finish the batches in flight) close the warehouse, then exit 0.
    await shutdown();
  }
}
