/**
 * `auditql ingest --from postgres --source-url URL --publication NAME --slot NAME [--create-slot] [--source NAME]`
 * (docs/configuration.md "`auditql ingest` flags"; docs/sources/postgres.md): built-in capture from a source database's
 * replication slot into the warehouse, until SIGINT/SIGTERM. `startPostgresCapture` is the same wiring
 * for callers that already hold a warehouse (`auditql start`, the demo, tests).
 */
import type pg from 'pg';
import type { EnvConfig } from '../../config/env.js';
import type { DecodeContext } from '../../decoders/decoder.js';
import { pgoutputDecoder } from '../../decoders/pgoutput/decoder.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import { reportSummary, startIngest } from '../../ingest/run.js';
import { LIVE_OUTAGE, outagePolicy, retrying, waitOut, type OutagePolicy } from '../../retry-policy.js';
import type { IngestSummary } from '../../ingest/summary.js';
import { installSignalHandlers, onShutdown, shutdown } from '../../lifecycle.js';
import type { Logger } from '../../log.js';
import { openPostgresSource, slotStream, type PostgresSource } from '../../sources/postgres/postgres-source.js';
import { connectWarehouse } from '../../warehouse/connect.js';
import { redactUrl } from '../../warehouse/db.js';
import { readCheckpoints } from '../../warehouse/sink.js';
import type { BatchResult } from '../../contracts/batch.js';
import type { IngestOptions } from './ingest-options.js';
import type { IngestObserver } from '../../metrics/ingest-observer.js';
import { processTelemetry } from '../../metrics/telemetry.js';

export interface PostgresCaptureOptions {
  /** The warehouse pool. */
  readonly pool: pg.Pool;
  /** `--source`: dedupe and checkpoints are per source. */
  readonly sourceName: string;
  readonly sourceUrl: string;
  readonly publication: string;
  readonly slot: string;
  readonly createSlot?: boolean;
  readonly ctx: DecodeContext;
  readonly batchSize?: number;
  /** How long a partial batch waits for more records (default 20 ms: capture is about latency). */
  readonly flushMs?: number;
  readonly log: Logger;
  readonly onBatch?: (result: BatchResult, summary: IngestSummary) => void;
  /** How long an outage of the warehouse or the source is waited out (default LIVE_OUTAGE: forever). */
  readonly outage?: OutagePolicy;
  /** Metrics for this source (src/metrics/ingest-metrics.ts). */
  readonly observer?: IngestObserver;
}

export interface PostgresCapture {
  readonly source: PostgresSource;
  /** Settles when the capture ended: after stop(), or with the error that ended it. */
  readonly done: Promise<IngestSummary>;
  /** Stop reading, write what was read, acknowledge it, close the source connections. */
  stop(): Promise<IngestSummary>;
}

/**
 * The source answered but refused (wrong password, no such database, no permission): one sentence naming
 * it, as a configuration error; anything else that is not already one of ours, as the source unavailable.
 */
function sourceRefused(url: string, err: unknown): unknown {
  if (err instanceof AuditqlError || !(err instanceof Error)) return err;
  const code = (err as { code?: string }).code;
  const config = code !== undefined && /^(28|3D|42)/.test(code);
  return new AuditqlError(config ? ErrorCode.BAD_CONFIG : ErrorCode.SOURCE_UNAVAILABLE,
    `cannot capture from the source database at ${redactUrl(url)}: ${err.message}${code ? ` [${code}]` : ''}`, { cause: err });
}

/** Open the source at this source's warehouse checkpoint and run source → decoder → sink until stopped. */
export async function startPostgresCapture(o: PostgresCaptureOptions): Promise<PostgresCapture> {
  const outage = o.outage ?? LIVE_OUTAGE;
  const checkpoints = await waitOut(() => readCheckpoints(o.pool, o.sourceName), { what: 'the warehouse', policy: outage, log: o.log.warn });
  const source = await waitOut(() => openPostgresSource({
    url: o.sourceUrl,
    publication: o.publication,
    slot: o.slot,
    createSlot: o.createSlot ?? false,
    startLsn: checkpoints.get(slotStream(o.slot)) ?? null,
    log: o.log,
    outageLimitMs: outage.limitMs,
  }), { what: `the source database at ${redactUrl(o.sourceUrl)}`, policy: outage, log: o.log.warn, code: ErrorCode.SOURCE_UNAVAILABLE })
    .catch((err: unknown) => { throw sourceRefused(o.sourceUrl, err); });
  const run = startIngest({
    pool: o.pool,
    sourceName: o.sourceName,
    source,
    decoderFor: () => pgoutputDecoder,
    ctx: o.ctx,
    live: true,
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    flushMs: o.flushMs ?? 20,
    outage,
    log: o.log,
    ...(o.onBatch ? { onBatch: o.onBatch } : {}),
    ...(o.observer ? { observer: o.observer } : {}),
  });
  const done = run.done.finally(() => source.close());
  done.catch(() => {}); // observed by the caller through `done` / stop()
  // On SIGTERM this runs before the run's own hook: it also waits for the source connections to close.
  const unhook = onShutdown(async () => { await run.stop().catch(() => {}); await done.catch(() => {}); });
  void done.finally(unhook).catch(() => {});
  return {
    source,
    done,
    async stop() {
      await run.stop().catch(() => {});
      return done;
    },
  };
}

const required = (flag: string, value: string | undefined): string => {
  if (!value) throw new AuditqlError(ErrorCode.BAD_CONFIG, `ingest --from postgres: ${flag} is required`);
  return value;
};

export async function ingestPostgresCommand(env: EnvConfig, o: IngestOptions, log: Logger): Promise<number> {
  const sourceUrl = required('--source-url', o.sourceUrl);
  const publication = required('--publication', o.publication);
  const slot = required('--slot', o.slot);
  if (!/^postgres(ql)?:\/\//.test(sourceUrl)) throw new AuditqlError(ErrorCode.BAD_CONFIG, '--source-url: expected a postgres:// or postgresql:// URL');
  if (o.files.length > 0) throw new AuditqlError(ErrorCode.BAD_CONFIG, 'ingest --from postgres takes no FILE arguments');
  installSignalHandlers();
  const outage = outagePolicy(env.outageLimitS, LIVE_OUTAGE);
  const c = await connectWarehouse(env, {
    log: log.info, applicationName: 'auditql-ingest', retry: retrying({ what: 'the warehouse', policy: outage, log: log.warn }),
  });
  onShutdown(() => c.close());
  try {
    const capture = await startPostgresCapture({
      pool: c.warehouse.pool,
      sourceName: o.source,
      sourceUrl,
      publication,
      slot,
      createSlot: o.createSlot,
      ctx: o.ctx,
      batchSize: o.batchSize,
      outage,
      log,
      observer: processTelemetry().ingest.observer(o.source),
      onBatch: (r, s) => log.debug(`stored ${r.stored}, duplicates ${r.duplicates} (total read ${s.read}, stored ${s.stored})`),
    });
    const summary = await capture.done;
    reportSummary(summary, { json: o.json, label: 'capture stopped: ', log });
    return 0;
  } finally {
    await shutdown();
  }
}
