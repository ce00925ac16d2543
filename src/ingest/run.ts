/**
 * The composition root of ingest (docs/architecture.md "The pipeline"): every entry point — `ingest --from
 * file|kafka|postgres`, the sources `start` runs, the demo capture — builds its Source and decoder choice
 * and calls `startIngest`; the sink, the retry policy, shutdown and the summary are assembled here and
 * nowhere else. (The Firehose endpoint pushes deliveries through the same stages: deliveries.ts.)
 */
import type pg from 'pg';
import type { BatchResult } from '../contracts/batch.js';
import type { SourceRecord } from '../contracts/records.js';
import type { Source } from '../contracts/source.js';
import type { DecodeContext, Decoder } from '../decoders/decoder.js';
import { onShutdown } from '../lifecycle.js';
import { childLogger, type Logger } from '../log.js';
import type { IngestObserver } from '../metrics/ingest-observer.js';
import { observedSink } from '../metrics/observed-sink.js';
import { settleAttribution } from '../warehouse/attribution.js';
import { WarehouseSink } from '../warehouse/sink.js';
import { sealerFor } from '../warehouse/ledger/sealer.js';
import { ledgerConfig } from '../config/ledger.js';
import { IngestPipeline } from './pipeline.js';
import { tracing } from '../trace/tracing.js';
import { FINITE_OUTAGE, LIVE_OUTAGE, type OutagePolicy } from '../retry-policy.js';
import { rowImageKeyWarnings } from './key-warnings.js';
import { summaryLine, type IngestSummary } from './summary.js';

/**
 * The one place the warehouse sink is assembled: every write settles attribution and appends to the ledger
 * in its transaction; with AUDITQL_SIGNING_KEY it seals signed checkpoints (docs/ledger.md).
 */
export const warehouseSink = (pool: pg.Pool, log?: Logger): WarehouseSink =>
  new WarehouseSink(pool, tracedSettle, sealerFor(pool, ledgerConfig(), log && ((err) => log.warn(`ledger: ${err.message}`)), log?.warn),
    log ? { log: log.warn } : {});

/** Attribution settles inside the sink's transaction: traced as a child of the batch's sink write. */
const tracedSettle: typeof settleAttribution = (client, seqs) => {
  const t = tracing();
  return t.enabled ? t.span('ingest.attribution_settle', () => settleAttribution(client, seqs)) : settleAttribution(client, seqs);
};

export interface IngestRunOptions {
  /** The warehouse pool. */
  readonly pool: pg.Pool;
  /** `--source`: dedupe and checkpoints are per source. */
  readonly sourceName: string;
  readonly source: Source;
  readonly decoderFor: (record: SourceRecord) => Decoder;
  readonly ctx: DecodeContext;
  /** A live source (Kafka, a replication slot) waits out a warehouse outage forever by default; a file for minutes. */
  readonly live: boolean;
  /** Overrides the outage policy (`AUDITQL_OUTAGE_LIMIT_S`). */
  readonly outage?: OutagePolicy;
  readonly batchSize?: number;
  readonly flushMs?: number;
  /** `--in-flight K`: batches of different streams written side by side at most (default 1). */
  readonly inFlight?: number;
  readonly log: Logger;
  readonly onBatch?: (result: BatchResult, summary: IngestSummary) => void;
  /** Metrics for this source (src/metrics/ingest-metrics.ts `observer(source)`). */
  readonly observer?: IngestObserver;
}

export interface IngestRun {
  /** Settles when the run ended: the source was exhausted or stopped, or with the error that ended it. */
  readonly done: Promise<IngestSummary>;
  /** Stop reading, write and acknowledge what was read, and resolve with the summary. */
  stop(): Promise<IngestSummary>;
}

export function startIngest(o: IngestRunOptions): IngestRun {
  const sink = warehouseSink(o.pool, o.log);
  const log = childLogger(o.log, { component: 'ingest', source: o.sourceName });
  const keyWarnings = rowImageKeyWarnings(log.warn);
  const pipeline = new IngestPipeline({
    sourceName: o.sourceName,
    source: o.source,
    decoderFor: o.decoderFor,
    ctx: o.ctx,
    sink: observedSink(sink, o.observer),
    outage: o.outage ?? (o.live ? LIVE_OUTAGE : FINITE_OUTAGE),
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(o.flushMs !== undefined ? { flushMs: o.flushMs } : {}),
    ...(o.inFlight !== undefined ? { inFlight: o.inFlight } : {}),
    onBatch: (result, summary) => {
      keyWarnings(summary);
      o.onBatch?.(result, summary);
    },
    ...(o.observer ? { observer: o.observer } : {}),
    log: log.warn,
  });
  // SIGTERM/SIGINT: stop reading, let what was read reach the warehouse and commit, then exit.
  const unhook = onShutdown(async () => {
    log.info(`${o.source.description}: stopping: finishing the batches in flight`);
    await pipeline.stop();
    await done.catch(() => {});
  });
  if (o.source.lag) o.observer?.watchLag?.(() => o.source.lag!());
  o.observer?.started();
  // A run that ends (a finite file, a stop) seals what it stored, so it is covered by a checkpoint at once.
  const done = pipeline.run().then(async (summary) => { await sink.ledger.seal(); return summary; }).finally(unhook);
  done.then(() => o.observer?.ended(), (err: unknown) => o.observer?.ended(err));
  done.catch(() => {}); // observed by the caller through `done` / stop()
  return {
    done,
    async stop() {
      await pipeline.stop();
      return done;
    },
  };
}

/** The summary at the end of a run: one JSON line on stdout with `--json`, else a log line. */
export function reportSummary(summary: IngestSummary, o: { readonly json: boolean; readonly label: string; readonly log: Logger; readonly showFormats?: boolean }): void {
  if (o.json) process.stdout.write(summaryLine(summary) + '\n');
  else {
    o.log.info(
      `${o.label}read ${summary.read}, stored ${summary.stored}, duplicates ${summary.duplicates}, ` +
        `dead-lettered ${summary.deadLettered}, skipped ${summary.skipped}` +
        (o.showFormats ? ` (formats: ${JSON.stringify(summary.formats)})` : ''),
    );
  }
  if (summary.deadLettered > 0) o.log.warn(`${summary.deadLettered} record(s) went to auditql.dead_letters with their bytes and a reason`);
}
