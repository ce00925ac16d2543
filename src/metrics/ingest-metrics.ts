/**
 * Ingest metrics (docs/operations.md "Ingest"): counters of what every source read, stored, deduplicated,
 * dead-lettered and skipped, batch sizes and sink latency, warehouse retries and outages, and whether
 * each source runs. Labels are bounded: `source` (operator-configured names), `format` (the decoders'),
 * `code` (ErrorCode), `reason` (skip reasons) — never keys, values or SQL.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { isTransient } from '../retry-policy.js';
import type { ReadinessCheck } from '../health/readiness.js';
import type { IngestObserver, ObservedUnit } from './ingest-observer.js';
import type { SourceLag } from '../contracts/source.js';
import { withTimeout } from './registry.js';
import { ledgerFollowerStats } from '../warehouse/ledger/sink-ledger.js';
import { checkpointPostStats } from '../warehouse/ledger/checkpoint-post.js';

const UNSTORABLE = 'AUDITQL_UNSTORABLE_RECORD';
/** How long a scrape waits for a source's lag (a source bounds its own queries below this). */
const LAG_TIMEOUT_MS = 3000;

/** The format a record is counted under: its decoder's, or with --format auto the one it was decoded as. */
const formatOf = (u: ObservedUnit): string =>
  (u.format === 'auto' || u.format === null ? u.events[0]?.format : u.format) ?? u.format ?? 'unknown';

type SourceState = 'starting' | 'running' | 'ended' | 'failed';

export class IngestMetrics {
  private readonly read: Counter<'source' | 'format'>;
  private readonly stored: Counter<'source'>;
  private readonly duplicates: Counter<'source'>;
  private readonly deadLetters: Counter<'source' | 'format' | 'code'>;
  private readonly skipped: Counter<'source' | 'format' | 'reason'>;
  private readonly batchRecords: Histogram<'source'>;
  private readonly sinkSeconds: Histogram<'source' | 'outcome'>;
  private readonly retries: Counter<'source'>;
  private readonly outages: Counter<'source'>;
  private readonly inOutage: Gauge<'source'>;
  private readonly lastBatch: Gauge<'source'>;
  private readonly up: Gauge<'source'>;
  private readonly states = new Map<string, { state: SourceState; outage: boolean }>();
  /** Per source, how to read its lag now (Source.lag), read on each scrape. */
  private readonly lags = new Map<string, () => readonly SourceLag[] | Promise<readonly SourceLag[]>>();
  /** The lags of the scrape under way: the three lag gauges collect together, each source is asked once. */
  private reading: Promise<readonly (readonly [string, SourceLag])[]> | null = null;

  constructor(registry: Registry) {
    const registers = [registry];
    this.read = new Counter({ name: 'auditql_ingest_records_read_total', help: 'Records read from the source and decoded (or dead-lettered).', labelNames: ['source', 'format'], registers });
    this.stored = new Counter({ name: 'auditql_ingest_events_stored_total', help: 'Events the warehouse stored (new rows).', labelNames: ['source'], registers });
    this.duplicates = new Counter({ name: 'auditql_ingest_duplicates_total', help: 'Events and dead letters already stored for the source (redelivery), absorbed.', labelNames: ['source'], registers });
    this.deadLetters = new Counter({ name: 'auditql_ingest_dead_letters_total', help: 'Records stored in auditql.dead_letters, by error code.', labelNames: ['source', 'format', 'code'], registers });
    this.skipped = new Counter({ name: 'auditql_ingest_records_skipped_total', help: 'Records that decoded to no event (tombstones, heartbeats, non-audit lines), by reason.', labelNames: ['source', 'format', 'reason'], registers });
    this.batchRecords = new Histogram({
      name: 'auditql_ingest_batch_records', help: 'Records per committed batch.', labelNames: ['source'], registers,
      buckets: [1, 10, 50, 100, 500, 1000, 5000, 10_000, 50_000],
    });
    this.sinkSeconds = new Histogram({
      name: 'auditql_ingest_sink_write_duration_seconds', help: 'Duration of one warehouse write (one transaction), by outcome (ok, transient, error).',
      labelNames: ['source', 'outcome'], registers, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.retries = new Counter({ name: 'auditql_ingest_warehouse_retries_total', help: 'Warehouse writes that failed transiently and were retried.', labelNames: ['source'], registers });
    this.outages = new Counter({ name: 'auditql_ingest_warehouse_outages_total', help: 'Warehouse outages (a run of transient write failures) waited out or still going.', labelNames: ['source'], registers });
    this.inOutage = new Gauge({ name: 'auditql_ingest_warehouse_outage', help: '1 while the source waits out a warehouse outage.', labelNames: ['source'], registers });
    this.lastBatch = new Gauge({ name: 'auditql_ingest_last_batch_timestamp_seconds', help: 'Unix time the last batch committed.', labelNames: ['source'], registers });
    // Read on each scrape from the sources themselves (Source.lag): no timer, nothing stale. A source that
    // cannot answer in time (its database is away) is left out of this scrape rather than hang it.
    const lagsNow = () => this.lagsNow();
    for (const [unit, help] of [
      ['records', 'How far each stream is behind its end, in records (Kafka: high watermark minus the committed offset; AMQP: messages in the queue and unacknowledged).'],
      ['bytes', 'How far each stream is behind its end, in bytes (files: bytes not read yet; replication slot: WAL after its confirmed LSN).'],
      ['seconds', 'How far each stream is behind its end, in seconds (replication slot: age of the oldest commit received and not stored; Kinesis: MillisBehindLatest).'],
    ] as const) {
      new Gauge({
        name: `auditql_ingest_source_lag_${unit}`, help, labelNames: ['source', 'stream'], registers,
        async collect() {
          const lags = await lagsNow();
          this.reset();
          for (const [source, l] of lags) if (l.unit === unit) this.set({ source, stream: l.stream }, l.value);
        },
      });
    }
    new Counter({
      name: 'auditql_ledger_checkpoint_posts_total', labelNames: ['outcome'], registers,
      help: 'Signed checkpoints POSTed to AUDITQL_CHECKPOINT_URL, by outcome: delivered, retried (an attempt failed and is retried), failed (given up on), dropped (the queue was full).',
      collect() {
        this.reset();
        for (const [outcome, n] of Object.entries(checkpointPostStats)) this.inc({ outcome }, n);
      },
    });
    new Counter({
      name: 'auditql_ledger_follower_failures_total', registers,
      help: 'Ledger follower runs that failed after a batch committed: the rows are stored, and a later run (the next batch, a retry, the seal) logs them.',
      collect() {
        this.reset();
        this.inc(ledgerFollowerStats.failed);
      },
    });
    this.up = new Gauge({ name: 'auditql_ingest_source_up', help: '1 while the source runs; 0 once it ended or failed.', labelNames: ['source'], registers });
  }

  private lagsNow(): Promise<readonly (readonly [string, SourceLag])[]> {
    this.reading ??= Promise.all([...this.lags].map(async ([source, lag]) => {
      try {
        return (await withTimeout(LAG_TIMEOUT_MS, Promise.resolve(lag()))).map((l) => [source, l] as const);
      } catch {
        return [];
      }
    })).then((all) => all.flat()).finally(() => { this.reading = null; });
    return this.reading;
  }

  /** The observer for one source's runs (src/ingest/run.ts `observer`). */
  observer(source: string): IngestObserver {
    const st = { state: 'starting' as SourceState, outage: false };
    this.states.set(source, st);
    this.up.set({ source }, 0);
    this.inOutage.set({ source }, 0);
    return {
      watchLag: (lag) => void this.lags.set(source, lag),
      started: () => {
        st.state = 'running';
        this.up.set({ source }, 1);
      },
      record: (u, skipped) => {
        const format = formatOf(u);
        this.read.inc({ source, format });
        if (!u.dead && u.events.length === 0) this.skipped.inc({ source, format, reason: skipped ?? 'EMPTY' });
      },
      batch: (units, r) => {
        this.stored.inc({ source }, r.stored);
        this.duplicates.inc({ source }, r.duplicates);
        this.batchRecords.observe({ source }, units.length);
        this.lastBatch.set({ source }, Date.now() / 1000);
        // By code, from the batch's records; on a redelivery whose dead letters were already stored the
        // sink reports fewer new ones: counted up to its total.
        let left = r.deadLettered;
        const count = (format: string, code: string) => {
          if (left <= 0) return;
          left--;
          this.deadLetters.inc({ source, format, code });
        };
        for (let i = 0; i < (r.refused ?? 0); i++) count(formatOf(units.find((u) => !u.dead) ?? units[0]!), UNSTORABLE);
        for (const u of units) if (u.dead) count(formatOf(u), u.dead.code);
      },
      sinkWrite: (seconds, error) => {
        const transient = error !== undefined && isTransient(error);
        this.sinkSeconds.observe({ source, outcome: error === undefined ? 'ok' : transient ? 'transient' : 'error' }, seconds);
        if (transient) {
          this.retries.inc({ source });
          if (!st.outage) this.outages.inc({ source });
          st.outage = true;
        } else if (error === undefined) st.outage = false;
        this.inOutage.set({ source }, st.outage ? 1 : 0);
      },
      ended: (error) => {
        st.state = error === undefined ? 'ended' : 'failed';
        this.lags.delete(source); // a source that no longer runs has no lag to report
        this.up.set({ source }, 0);
      },
    };
  }

  /**
   * Ready when every source this process ingests is running and not waiting out a warehouse outage
   * (docs/operations.md "Probes"). A finite source that ended is done, not unready.
   */
  readiness(): ReadinessCheck {
    return {
      name: 'sources',
      check: async () => {
        const bad = [...this.states].filter(([, s]) => s.state === 'starting' || s.state === 'failed' || s.outage);
        return bad.length === 0 ? null : bad.map(([name, s]) => `${name}: ${s.outage ? 'warehouse outage' : s.state}`).join('; ');
      },
    };
  }
}
