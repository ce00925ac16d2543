/**
 * `auditql ingest --from kinesis --stream NAME [--region R] [--endpoint URL] [--format F] [--source NAME]`:
 * read a Kinesis Data Stream until SIGINT/SIGTERM (docs/sources/kinesis.md). Processes with the same
 * `--source` and stream share its shards through leases in the warehouse.
 */
import type { EnvConfig } from '../../config/env.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { loadDecoder } from '../../decoders/registry.js';
import { reportSummary, startIngest } from '../../ingest/run.js';
import { LIVE_OUTAGE, outagePolicy } from '../../retry-policy.js';
import { installSignalHandlers, onShutdown, shutdown } from '../../lifecycle.js';
import { createKinesisClient } from '../../sources/kinesis/kinesis-client.js';
import { kinesisSource } from '../../sources/kinesis/kinesis-source.js';
import { connectWarehouse } from '../../warehouse/connect.js';
import { warehouseShardLeases } from '../../warehouse/shard-leases.js';
import { readCheckpoints } from '../../warehouse/sink.js';
import type { IngestOptions } from './ingest-options.js';
import { withKeyProviders } from './key-providers.js';

const bad = (m: string) => new AuditqlError(ErrorCode.BAD_CONFIG, `ingest --from kinesis: ${m}`);

export async function ingestKinesisCommand(env: EnvConfig, o: IngestOptions, log: Logger): Promise<number> {
  if (o.files.length > 0) throw bad(`unexpected argument ${JSON.stringify(o.files[0])}: Kinesis ingest reads no files`);
  if (!o.stream) throw bad('--stream NAME is required');
  if (!/^[\w.-]{1,128}$/.test(o.stream)) throw bad("--stream must be 1-128 letters, digits and '_.-'");
  if (o.endpoint !== undefined && !/^https?:\/\//.test(o.endpoint)) throw bad('--endpoint: expected an http:// or https:// URL');
  const decoder = await loadDecoder(o.format);
  const ctx = withKeyProviders(o.ctx, [o.format]);
  installSignalHandlers();
  const c = await connectWarehouse(env, { log: log.info, applicationName: 'auditql ingest kinesis' });
  onShutdown(() => c.close());
  const client = createKinesisClient({ ...(o.region ? { region: o.region } : {}), ...(o.endpoint ? { endpoint: o.endpoint } : {}) });
  onShutdown(() => client.destroy());
  try {
    const pool = c.warehouse.pool;
    const source = kinesisSource({
      client,
      stream: o.stream,
      leases: warehouseShardLeases(pool, o.source),
      checkpoints: () => readCheckpoints(pool, o.source),
      ...(o.leaseMs !== undefined ? { leaseMs: o.leaseMs } : {}),
      log,
    });
    const run = startIngest({ pool, sourceName: o.source, source, decoderFor: () => decoder, ctx, live: true, outage: outagePolicy(env.outageLimitS, LIVE_OUTAGE), batchSize: o.batchSize, inFlight: o.inFlight, log });
    reportSummary(await run.done, { json: o.json, label: 'kinesis: ', log });
    return 0;
  } finally {
    // SIGTERM: the hooks (the run's first: finish the batches in flight) close the client and the warehouse, then exit 0.
    await shutdown();
  }
}
