/**
 * source → decoder → sink, with bounded batches and backpressure (DESIGN.md "Architecture"). Records are
 * decoded into a batch that is written when it reaches `batchSize` events or `flushMs` passed since its first
 * record. At most one write is in flight while the next batch is decoded: when the sink lags, the loop
 * waits, so the source is read no faster than the warehouse absorbs it. The source is acknowledged only
 * after its batch committed.
 */
import type { DecodeContext, Decoder } from '../decoders/decoder.js';
import type { Source, SourceRecord } from '../sources/source.js';
import type { AuditEvent } from '../model/events.js';
import type { Batch, BatchResult, Checkpoint, DeadLetter } from '../warehouse/sink.js';
import { decodeRecord } from './decode-record.js';
import { emptySummary, type IngestSummary } from './summary.js';
import { FINITE_OUTAGE, waitOut, type OutagePolicy } from '../retry-policy.js';

export interface BatchWriter {
  write(batch: Batch): Promise<BatchResult>;
}

export interface PipelineOptions {
  /** Stream name: dedupe and checkpoints are per source. */
  readonly sourceName: string;
  readonly source: Source;
  /** The decoder for a record (per-topic formats choose here). */
  readonly decoderFor: (record: SourceRecord) => Decoder;
  readonly ctx: DecodeContext;
  readonly sink: BatchWriter;
  readonly batchSize?: number;
  readonly flushMs?: number;
  /** How long a warehouse outage is waited out before the run fails (default FINITE_OUTAGE; live: LIVE_OUTAGE). */
  readonly outage?: OutagePolicy;
  readonly onBatch?: (result: BatchResult, summary: IngestSummary) => void;
  readonly log?: (message: string) => void;
}

class PendingBatch {
  events: AuditEvent[] = [];
  deadLetters: DeadLetter[] = [];
  checkpoints = new Map<string, Checkpoint>();
  size = 0;
  startedAt = 0;
}

export class IngestPipeline {
  readonly summary: IngestSummary = emptySummary();
  private current = new PendingBatch();
  private inflight: Promise<void> = Promise.resolve();
  /** Writes handed over and not finished yet, oldest first (they run one after another). */
  private readonly writes: Promise<void>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;
  private readonly batchSize: number;
  private readonly flushMs: number;

  constructor(private readonly o: PipelineOptions) {
    this.batchSize = o.batchSize ?? 5000;
    this.flushMs = o.flushMs ?? 250;
  }

  async run(): Promise<IngestSummary> {
    try {
      for await (const record of this.o.source.records()) {
        if (this.failure) break;
        await this.add(record);
        if (this.current.size >= this.batchSize) await this.flush();
        else if (!this.timer && this.current.size > 0) {
          this.timer = setTimeout(() => { this.timer = undefined; void this.flush(); }, this.flushMs);
        }
        // Backpressure whichever way batches were flushed (a timer flush does not wait): one write running
        // and one queued at most, so the source is never read further ahead of the warehouse than that.
        while (this.writes.length > 1) await this.writes[0];
      }
      await this.flush();
      await this.inflight;
    } finally {
      if (this.timer) clearTimeout(this.timer);
    }
    if (this.failure) throw this.failure;
    return this.summary;
  }

  private async add(record: SourceRecord): Promise<void> {
    const decoder = this.o.decoderFor(record);
    const d = await decodeRecord(decoder, record, this.o.ctx);
    // Only after the await: a timer flush may have swapped the current batch meanwhile.
    const s = this.summary;
    const b = this.current;
    if (b.size === 0) b.startedAt = Date.now();
    s.read++;
    b.size++;
    if (d.kind === 'dead') {
      b.deadLetters.push({
        position: record.position, format: decoder.format, code: d.code, message: d.message, value: record.value,
        key: record.key ?? null,
        ...(record.topic !== undefined ? { topic: record.topic } : {}),
        ...(record.partition !== undefined ? { partition: record.partition } : {}),
        ...(record.offset !== undefined ? { offset: record.offset } : {}),
        ...(record.headers !== undefined ? { headers: record.headers } : {}),
      });
    } else if (d.events.length === 0) {
      s.skipped++;
      const reason = d.skipped ?? 'EMPTY';
      s.skippedBy[reason] = (s.skippedBy[reason] ?? 0) + 1;
    } else {
      for (const e of d.events) {
        b.events.push(e);
        s.formats[e.format] = (s.formats[e.format] ?? 0) + 1;
      }
    }
    if (record.checkpoint) b.checkpoints.set(record.checkpoint.stream, record.checkpoint);
  }

  /** Hand the current batch to the writer; resolves when the previous write finished (one in flight). */
  private flush(): Promise<void> {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    const b = this.current;
    if (b.size === 0) return this.inflight;
    this.current = new PendingBatch();
    const previous = this.inflight;
    const written = previous.then(() => (this.failure ? undefined : this.write(b)));
    this.inflight = written;
    this.writes.push(written);
    void written.finally(() => this.writes.shift()); // writes finish in order
    return previous;
  }

  private async write(b: PendingBatch): Promise<void> {
    const batch: Batch = {
      source: this.o.sourceName,
      events: b.events,
      deadLetters: b.deadLetters,
      checkpoints: [...b.checkpoints.values()],
    };
    try {
      // The sink is idempotent: a batch whose commit was lost with the connection is absorbed when retried.
      const r = await waitOut(() => this.o.sink.write(batch), {
        what: 'the warehouse', policy: this.o.outage ?? FINITE_OUTAGE, ...(this.o.log ? { log: this.o.log } : {}),
      });
      this.summary.stored += r.stored;
      this.summary.duplicates += r.duplicates;
      this.summary.deadLettered += r.deadLettered;
      // dead letters redelivered are absorbed by their unique key: count them as duplicates
      this.summary.duplicates += batch.deadLetters.length - r.deadLettered;
      if (this.o.source.acknowledge && batch.checkpoints.length) await this.o.source.acknowledge(batch.checkpoints);
      this.o.onBatch?.(r, this.summary);
    } catch (err) {
      this.failure = err;
      // A source waiting for acknowledgements (Kafka) would otherwise keep the loop waiting for a record.
      this.o.source.fail?.(err);
    }
  }
}
