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
import type { Logger } from '../log.js';
import { settleAttribution } from '../warehouse/attribution.js';
import { WarehouseSink } from '../warehouse/sink.js';
import { FILE_OUTAGE_LIMIT_MS, IngestPipeline } from './pipeline.js';
import { rowImageKeyWarnings } from './key-warnings.js';
import { summaryLine, type IngestSummary } from './summary.js';

/** The one place the warehouse sink is assembled: every write settles attribution in its transaction. */
export const warehouseSink = (pool: pg.Pool): WarehouseSink => new WarehouseSink(pool, settleAttribution);

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
  /** Overrides the outage limit (ms). */
  readonly outageLimitMs?: number;
  readonly batchSize?: number;
  readonly flushMs?: number;
  readonly log: Logger;
  readonly onBatch?: (result: BatchResult, summary: IngestSummary) => void;
}

export interface IngestRun {
  /** Settles when the run ended: the source was exhausted or stopped, or with the error that ended it. */
  readonly done: Promise<IngestSummary>;
  /** Stop reading, write and acknowledge what was read, and resolve with the summary. */
  stop(): Promise<IngestSummary>;
}

export function startIngest(o: IngestRunOptions): IngestRun {
  const keyWarnings = rowImageKeyWarnings(o.log.warn);
  const pipeline = new IngestPipeline({
    sourceName: o.sourceName,
    source: o.source,
    decoderFor: o.decoderFor,
    ctx: o.ctx,
    sink: warehouseSink(o.pool),
    outageLimitMs: o.outageLimitMs ?? (o.live ? Number.POSITIVE_INFINITY : FILE_OUTAGE_LIMIT_MS),
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(o.flushMs !== undefined ? { flushMs: o.flushMs } : {}),
    onBatch: (result, summary) => {
      keyWarnings(summary);
      o.onBatch?.(result, summary);
    },
    log: o.log.warn,
  });
  // SIGTERM/SIGINT: stop reading, let what was read reach the warehouse and commit, then exit.
  const unhook = onShutdown(async () => {
    o.log.info(`${o.source.description}: stopping: finishing the batches in flight`);
    await pipeline.stop();
    await done.catch(() => {});
  });
  const done = pipeline.run().finally(unhook);
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
