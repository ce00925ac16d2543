/**
 * source → decode → dead letters → sink → acknowledge, with bounded batches and backpressure
 * (docs/architecture.md "The pipeline"). Records are decoded into a batch that is written when it reaches
 * `batchSize` records or `flushMs` passed since its first record. Batches go through `inFlight` lanes
 * (lanes.ts): a stream always in the same lane, a lane writing one batch at a time, so up to `inFlight`
 * batches of disjoint streams commit side by side while the next ones are decoded, and a stream's batches
 * commit and are acknowledged in order. When the sink lags, the loop waits, so the source is read no faster
 * than the warehouse absorbs it. The source is acknowledged only after its batch committed. A record that cannot be
 * framed, decoded or stored is a dead letter and the stream goes on (store-batch.ts); a warehouse outage is
 * waited out for `outageLimitMs`.
 */
import type { BatchResult } from '../contracts/batch.js';
import type { Checkpoint, SourceRecord } from '../contracts/records.js';
import type { Sink } from '../contracts/sink.js';
import type { Source } from '../contracts/source.js';
import type { DecodeContext, Decoder } from '../decoders/decoder.js';
import { decodeRecord } from './decode-record.js';
import { tracing } from '../trace/tracing.js';
import { FINITE_OUTAGE, type OutagePolicy } from '../retry-policy.js';
import { storeUnits, type StoreOptions } from './store-batch.js';
import { countKeys, emptySummary, type IngestSummary } from './summary.js';
import { unitOf, type Unit } from './unit.js';
import { Lanes, PendingBatch, type Lane } from './lanes.js';
import type { IngestObserver } from '../metrics/ingest-observer.js';

export interface PipelineOptions {
  /** Stream name: dedupe and checkpoints are per source. */
  readonly sourceName: string;
  readonly source: Source;
  /** The decoder for a record (per-topic formats choose here). */
  readonly decoderFor: (record: SourceRecord) => Decoder;
  readonly ctx: DecodeContext;
  readonly sink: Sink;
  readonly batchSize?: number;
  readonly flushMs?: number;
  /**
   * Batches in flight at most (default 1), each on its own pooled connection: batches of different streams
   * (checkpoint streams) are written side by side, a stream's own batches one after another.
   */
  readonly inFlight?: number;
  /** How long a warehouse outage is waited out before the run fails (default FINITE_OUTAGE; live: LIVE_OUTAGE). */
  readonly outage?: OutagePolicy;
  readonly onBatch?: (result: BatchResult, summary: IngestSummary) => void;
  /** Metrics (src/metrics/ingest-observer.ts): told of every record and committed batch. */
  readonly observer?: IngestObserver;
  readonly log?: (message: string) => void;
}

/** Count one decoded unit into the summary (read, skipped, formats, key sources; stored counts come from the sink). */
export function countUnit(s: IngestSummary, u: Unit, skipped: string | undefined): void {
  s.read++;
  if (u.dead) return;
  if (u.events.length === 0) {
    s.skipped++;
    const reason = skipped ?? 'EMPTY';
    s.skippedBy[reason] = (s.skippedBy[reason] ?? 0) + 1;
    return;
  }
  for (const e of u.events) s.formats[e.format] = (s.formats[e.format] ?? 0) + 1;
  countKeys(s, u.events);
}


export class IngestPipeline {
  readonly summary: IngestSummary = emptySummary();
  private readonly lanes: Lanes;
  /** The warehouse write failed for good: nothing more is written. */
  private failure: unknown;
  private stopping = false;
  /** Aborted by stop(): an outage being waited out is given up (nothing of that batch was acknowledged). */
  private readonly stopped = new AbortController();
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly store: StoreOptions;

  constructor(private readonly o: PipelineOptions) {
    this.batchSize = o.batchSize ?? 5000;
    this.flushMs = o.flushMs ?? 250;
    this.lanes = new Lanes(o.inFlight ?? 1);
    this.store = {
      source: o.sourceName,
      sink: o.sink,
      outage: o.outage ?? FINITE_OUTAGE,
      // Stopping during an outage gives up waiting: nothing of the batch was acknowledged, so it is re-read.
      signal: this.stopped.signal,
      ...(o.log ? { log: o.log } : {}),
    };
  }

  async run(): Promise<IngestSummary> {
    let sourceError: unknown;
    try {
      for await (const record of this.o.source.records()) {
        if (this.failure) break;
        const lane = await this.add(record);
        if (lane.current.units.length >= this.batchSize) await this.flush(lane);
        else if (!lane.timer && lane.current.units.length > 0) {
          lane.timer = setTimeout(() => { lane.timer = undefined; void this.flush(lane); }, this.flushMs);
        }
        // Backpressure whichever way batches were flushed (a timer flush does not wait): per lane one write
        // running and one queued at most, so the source is never read further ahead of the warehouse than that.
        while (lane.writes.length > 1) await lane.writes[0];
        if (this.stopping) break;
      }
    } catch (err) {
      // The source failed: what it yielded before still gets written, then the error is the run's.
      sourceError = err;
    } finally {
      for (const lane of this.lanes.all) lane.clearTimer();
    }
    if (!this.failure) for (const lane of this.lanes.all) void this.flush(lane);
    await Promise.all(this.lanes.all.map((lane) => lane.tail));
    if (this.failure) throw this.failure;
    if (sourceError) throw sourceError;
    return this.summary;
  }

  /**
   * Stop reading (SIGTERM): the source stops producing, the records already read are written and
   * acknowledged, and `run()` resolves with the summary.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    await this.o.source.stop?.();
  }

  /** Decode a record into its stream's lane's batch; returns that lane. */
  private async add(record: SourceRecord): Promise<Lane> {
    const decoder = this.o.decoderFor(record);
    const traced = tracing().enabled;
    const t0 = traced ? Date.now() : 0;
    const d = await decodeRecord(decoder, record, this.o.ctx);
    const u = unitOf(record, decoder.format, d);
    const skipped = d.kind === 'events' ? d.skipped : undefined;
    countUnit(this.summary, u, skipped);
    this.o.observer?.record(u, skipped);
    // Only after the await: a timer flush may have swapped the current batch meanwhile.
    const lane = this.lanes.of(record.checkpoint?.stream ?? '');
    const b = lane.current;
    if (traced) this.decoded(b, t0);
    b.units.push(u);
    if (record.checkpoint) b.checkpoints.set(record.checkpoint.stream, record.checkpoint);
    return lane;
  }

  private decoded(b: PendingBatch, t0: number): void {
    const now = Date.now();
    if (b.units.length === 0 && b.decodeMs === 0) b.decodeStart = t0;
    b.decodeEnd = now;
    b.decodeMs += now - t0;
  }

  /** Hand the lane's current batch to its writer; resolves when the lane's previous write finished. */
  private flush(lane: Lane): Promise<void> {
    lane.clearTimer();
    const b = lane.current;
    if (b.units.length === 0) return lane.tail;
    lane.current = new PendingBatch();
    return lane.enqueue(() => (this.failure ? Promise.resolve() : this.write(b)));
  }

  private write(b: PendingBatch): Promise<void> {
    const t = tracing();
    if (!t.enabled) return this.writeBatch(b);
    return t.span('ingest.batch', async () => {
      // Decoding ran as the records arrived, between reads of the source: one span over it, with the time spent.
      const decode = t.start('ingest.decode', { 'auditql.records': b.units.length, 'auditql.decode_ms': b.decodeMs }, { startTimeMs: b.decodeStart || Date.now() });
      decode.end(b.decodeEnd || Date.now());
      await this.writeBatch(b);
    }, { 'auditql.source': this.o.sourceName, 'auditql.records': b.units.length });
  }

  private async writeBatch(b: PendingBatch): Promise<void> {
    const checkpoints = [...b.checkpoints.values()];
    try {
      const r = await tracing().span('ingest.sink_write', () => storeUnits(this.store, b.units, checkpoints));
      this.summary.stored += r.stored;
      this.summary.duplicates += r.duplicates;
      this.summary.deadLettered += r.deadLettered;
      if (this.o.source.acknowledge && checkpoints.length) await this.o.source.acknowledge(checkpoints);
      this.o.onBatch?.(r, this.summary);
      this.o.observer?.batch(b.units, r);
    } catch (err) {
      // The first failure is the run's; a batch of another lane still being written finishes, and is
      // acknowledged if it commits (nothing of it is lost; a redelivery would be absorbed as duplicates).
      if (this.failure !== undefined) return;
      this.failure = err ?? new Error('the warehouse write failed');
      // A source waiting for acknowledgements (Kafka) would otherwise keep the loop waiting for a record.
      this.o.source.fail?.(err);
    }
  }
}
