/**
 * `auditql ingest --from file`: docs/configuration.md "`auditql ingest` flags", for finite files; with
 * `--follow`, one file read as it grows (a server log) until SIGINT/SIGTERM.
 */
import { existsSync, statSync } from 'node:fs';
import { logFramerOf } from '../../decoders/decoder.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { EnvConfig } from '../../config/env.js';
import type { Logger } from '../../log.js';
import { loadDecoder } from '../../decoders/registry.js';
import { fileSource } from '../../sources/file/file-source.js';
import { reportSummary, startIngest } from '../../ingest/run.js';
import { installSignalHandlers } from '../../lifecycle.js';
import { FINITE_OUTAGE, LIVE_OUTAGE, outagePolicy, retrying } from '../../retry-policy.js';
import { connectWarehouse } from '../../warehouse/connect.js';
import { processTelemetry } from '../../metrics/telemetry.js';
import type { IngestOptions } from './ingest-options.js';
import { withKeyProviders } from './key-providers.js';

export async function ingestFileCommand(env: EnvConfig, o: IngestOptions, log: Logger): Promise<number> {
  if (o.files.length === 0) throw new AuditqlError(ErrorCode.BAD_CONFIG, 'ingest --from file: name at least one FILE');
  for (const f of o.files) {
    if (o.follow && !existsSync(f)) continue; // a followed log may not have been written yet
    if (!existsSync(f)) throw new AuditqlError(ErrorCode.BAD_CONFIG, `${f}: no such file`);
    if (!statSync(f).isFile()) throw new AuditqlError(ErrorCode.BAD_CONFIG, `${f}: not a regular file`);
  }
  // Followed, the file never ends: SIGINT/SIGTERM stops it cleanly (exit 0 once what was read is stored).
  if (o.follow) installSignalHandlers();
  const decoder = await loadDecoder(o.format);
  const ctx = withKeyProviders(o.ctx, [o.format]);
  const outage = outagePolicy(env.outageLimitS, o.follow ? LIVE_OUTAGE : FINITE_OUTAGE);
  const c = await connectWarehouse(env, { log: log.info, retry: retrying({ what: 'the warehouse', policy: outage, log: log.warn }) });
  try {
    const run = startIngest({
      pool: c.warehouse.pool,
      sourceName: o.source,
      source: fileSource({ paths: o.files, logFramer: logFramerOf(decoder, ctx), progress: (l) => log.info(l), follow: o.follow, parallel: o.inFlight }),
      decoderFor: () => decoder,
      ctx,
      live: o.follow,
      batchSize: o.batchSize,
      inFlight: o.inFlight,
      outage,
      log,
      observer: processTelemetry().ingest.observer(o.source),
    });
    reportSummary(await run.done, { json: o.json, label: '', log, showFormats: o.format === 'auto' });
    return 0;
  } finally {
    await c.close();
  }
}
