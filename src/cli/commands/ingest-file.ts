/** `auditql ingest --from file`: the CLI contract in DESIGN.md, for finite files. */
import { existsSync, statSync } from 'node:fs';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { EnvConfig } from '../../config/env.js';
import type { Logger } from '../../log.js';
import { loadDecoder } from '../../decoders/registry.js';
import { fileSource } from '../../sources/file/file-source.js';
import { IngestPipeline } from '../../ingest/pipeline.js';
import { FINITE_OUTAGE, outagePolicy, retrying } from '../../retry-policy.js';
import { summaryLine } from '../../ingest/summary.js';
import { connectWarehouse } from '../../warehouse/connect.js';
import { WarehouseSink } from '../../warehouse/sink.js';
import { settleAttribution } from '../../warehouse/attribution.js';
import type { IngestOptions } from './ingest-options.js';
import { withKeyProviders } from './key-providers.js';

export async function ingestFileCommand(env: EnvConfig, o: IngestOptions, log: Logger): Promise<number> {
  if (o.files.length === 0) throw new AuditqlError(ErrorCode.BAD_CONFIG, 'ingest --from file: name at least one FILE');
  for (const f of o.files) {
    if (!existsSync(f)) throw new AuditqlError(ErrorCode.BAD_CONFIG, `${f}: no such file`);
    if (!statSync(f).isFile()) throw new AuditqlError(ErrorCode.BAD_CONFIG, `${f}: not a regular file`);
  }
  const decoder = await loadDecoder(o.format);
  const ctx = withKeyProviders(o.ctx, [o.format]);
  const outage = outagePolicy(env.outageLimitS, FINITE_OUTAGE);
  const c = await connectWarehouse(env, { log: log.info, retry: retrying({ what: 'the warehouse', policy: outage, log: log.warn }) });
  try {
    const sink = new WarehouseSink(c.warehouse.pool, settleAttribution);
    const pipeline = new IngestPipeline({
      sourceName: o.source,
      source: fileSource({ paths: o.files, decoder, ctx, progress: (l) => log.info(l) }),
      decoderFor: () => decoder,
      ctx,
      sink,
      batchSize: o.batchSize,
      outage,
      log: log.warn,
    });
    const summary = await pipeline.run();
    if (o.json) process.stdout.write(summaryLine(summary) + '\n');
    else {
      log.info(
        `read ${summary.read}, stored ${summary.stored}, duplicates ${summary.duplicates}, ` +
          `dead-lettered ${summary.deadLettered}, skipped ${summary.skipped}` +
          (o.format === 'auto' ? ` (formats: ${JSON.stringify(summary.formats)})` : ''),
      );
    }
    if (summary.deadLettered > 0) log.warn(`${summary.deadLettered} record(s) went to auditql.dead_letters with their bytes and a reason`);
    return 0;
  } finally {
    await c.close();
  }
}
