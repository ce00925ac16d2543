/**
 * The warehouse sink: writes one batch in one transaction — events of every kind, dead letters, the
 * consumer checkpoint and (for Firehose) the delivery id — so a crash at any point neither loses nor
 * duplicates anything (docs/warehouse.md "Writing: one transaction per batch"). Writers of different
 * streams commit side by side. The transaction first locks the batch's own streams (per (source, stream),
 * so a stream's batches take turns and the probe's answer still holds at the COPY), then draws its
 * in-flight marker (`auditql.begin_feed_write()`), which holds the feed's watermark below its rows until it
 * ends (src/warehouse/queries/feed.ts). Each kind's rows not stored yet are found with one index probe per
 * row, given their feed sequence in batch order, and COPYed straight into their table (direct-write.ts);
 * events already stored for the source, and repeats within the batch, are counted as duplicates. If a
 * writer that ignored the stream lock races the COPY (unique violation), that kind falls back to the
 * staging write (staged-write.ts: COPY into a temp table, then INSERT … ON CONFLICT DO NOTHING).
 * Attribution settles last, under ATTRIBUTION_LOCK; the ledger follows after COMMIT, off the batch's path
 * (ledger/sink-ledger.ts).
 */
import type pg from 'pg';
import type { AuditEvent, ChangeEvent, EventKind } from '../model/events.js';
import { ensureSourceBlocks } from './source-blocks.js';
import type { Batch, BatchResult, StoredSeqs } from '../contracts/batch.js';
import type { Sink } from '../contracts/sink.js';
import { dayOf, EPOCH, PartitionManager } from './partitions.js';
import { writeDirect } from './direct-write.js';
import { writeStaged } from './staged-write.js';
import { locateChanges } from './entity-locator.js';
import { locateTransactions } from './tx-locator.js';
import { SinkLedger, type SinkLedgerOptions } from './ledger/sink-ledger.js';
import type { Sealer } from './ledger/sealer.js';

import { ATTRIBUTION_LOCK } from './locks.js';
/** NOTIFY channel that wakes API processes when rows were committed; payload = the highest seq. */
export const FEED_CHANNEL = 'auditql_feed';

/**
 * Runs inside the batch transaction after the inserts, holding ATTRIBUTION_LOCK (attribution settles new
 * evidence here).
 */
export type AfterInsert = (client: pg.PoolClient, seqs: StoredSeqs) => Promise<void>;

/**
 * One kind's rows: the direct write (direct-write.ts), and the staging write (staged-write.ts) if a writer
 * that ignored the stream lock inserted one of the batch's keys between the probe and the COPY. The savepoint
 * undoes the failed COPY's rows; the seqs it allocated stay unused (sequences are not transactional), and the
 * staging write allocates new, higher ones, so seqs still grow in batch order.
 */
async function writeKind(client: pg.PoolClient, source: string, kind: EventKind, events: readonly AuditEvent[]): Promise<string[]> {
  await client.query('SAVEPOINT auditql_direct');
  try {
    const seqs = await writeDirect(client, source, kind, events);
    await client.query('RELEASE SAVEPOINT auditql_direct');
    return seqs;
  } catch (err) {
    if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
    await client.query('ROLLBACK TO SAVEPOINT auditql_direct');
    return writeStaged(client, source, kind, events);
  }
}

const UNIQUE_VIOLATION = '23505';

/** U+0000 (raw, or escaped inside JSON text) replaced by U+FFFD. */
const storable = (s: string): string => (s.includes('\u0000') || s.includes('\\u0000') ? s.replace(/\u0000|\\u0000/g, '\uFFFD') : s);

const DEAD_LETTER_SQL =
  `INSERT INTO auditql.dead_letters (source, position, format, error_code, error_message, raw_value, raw_key, topic, kafka_partition, kafka_offset, headers) ` +
  `SELECT $1, u.* FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::bytea[], $8::text[], $9::int[], $10::text[], $11::jsonb[]) ` +
  `AS u ON CONFLICT (source, position) DO NOTHING`;

export class WarehouseSink implements Sink {
  readonly partitions: PartitionManager;
  /** Every stored row becomes a leaf of the ledger, appended after the batch's commit (docs/ledger.md). */
  readonly ledger: SinkLedger;

  constructor(private readonly pool: pg.Pool, private readonly afterInsert?: AfterInsert, sealer: Sealer | null = null, ledger: SinkLedgerOptions = {}) {
    this.partitions = new PartitionManager(pool);
    this.ledger = new SinkLedger(pool, sealer, ledger);
  }

  async write(batch: Batch): Promise<BatchResult> {
    const byKind = new Map<EventKind, AuditEvent[]>();
    for (const e of batch.events) {
      const list = byKind.get(e.kind);
      if (list) list.push(e);
      else byKind.set(e.kind, [e]);
    }
    await this.ensurePartitions(byKind);
    await ensureSourceBlocks(this.pool, byKind.get('change') as ChangeEvent[] | undefined);

    const client = await this.pool.connect();
    let result: BatchResult;
    try {
      result = await this.transact(client, batch, byKind);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      client.release();
      throw err;
    }
    client.release();
    // After COMMIT, on a connection of its own, behind the batch: the next batch does not wait for it (one
    // run at a time; `seal` does wait). Also after a batch that was all duplicates, so what the watermark
    // covers reaches the log. A failed follower does not fail the batch (sink-ledger.ts).
    if (!result.duplicateDelivery) void this.ledger.committed(byKind);
    return result;
  }

  /** The batch's transaction, up to its COMMIT (see the file's header). */
  private async transact(client: pg.PoolClient, batch: Batch, byKind: ReadonlyMap<EventKind, readonly AuditEvent[]>): Promise<BatchResult> {
    await client.query('BEGIN');
    if (batch.delivery) {
      const d = await client.query(
        'INSERT INTO auditql.deliveries (source, request_id, records) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [batch.source, batch.delivery.requestId, batch.delivery.records],
      );
      if (d.rowCount === 0) {
        await client.query('ROLLBACK');
        return { stored: 0, duplicates: batch.events.length, deadLettered: 0, duplicateDelivery: true, seqs: { change: [], activity: [], context: [] } };
      }
    }
    await client.query('SELECT auditql.lock_streams($1, $2)', [batch.source, streamsOf(batch)]);
    await client.query('SELECT auditql.begin_feed_write()');
    const seqs: Record<'change' | 'activity' | 'context', string[]> = { change: [], activity: [], context: [] };
    let stored = 0;
    let maxSeq = '0';
    for (const [kind, events] of byKind) {
      const kindSeqs = await writeKind(client, batch.source, kind, events);
      stored += kindSeqs.length;
      for (const seq of kindSeqs) if (BigInt(seq) > BigInt(maxSeq)) maxSeq = seq;
      if (kind === 'change' || kind === 'activity' || kind === 'context') seqs[kind].push(...kindSeqs);
    }
    if (seqs.change.length > 0) await locateChanges(client, byKind.get('change'));
    if (seqs.change.length > 0 || seqs.activity.length > 0) await locateTransactions(client, byKind.get('change'), byKind.get('activity'));
    let deadLettered = 0;
    if (batch.deadLetters.length > 0) {
      const d = batch.deadLetters;
      // A dead letter must always be storable: text PostgreSQL cannot hold (U+0000) is replaced in its
      // metadata; the record's own bytes are kept exactly (bytea).
      const r = await client.query(DEAD_LETTER_SQL, [
        storable(batch.source),
        d.map((x) => storable(x.position)),
        d.map((x) => x.format),
        d.map((x) => x.code),
        d.map((x) => storable(x.message)),
        d.map((x) => x.value),
        d.map((x) => x.key ?? null),
        d.map((x) => (x.topic === undefined ? null : storable(x.topic))),
        d.map((x) => x.partition ?? null),
        d.map((x) => (x.offset === undefined ? null : storable(x.offset))),
        d.map((x) => (x.headers ? storable(JSON.stringify(x.headers)) : null)),
      ]);
      deadLettered = r.rowCount ?? 0;
    }
    for (const cp of batch.checkpoints) {
      await client.query(
        `INSERT INTO auditql.checkpoints (source, stream, position, updated_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (source, stream) DO UPDATE SET position = excluded.position, updated_at = now()`,
        [batch.source, cp.stream, cp.position],
      );
    }
    if (stored > 0) await client.query('SELECT pg_notify($1, $2)', [FEED_CHANNEL, maxSeq]);
    if (this.afterInsert && (seqs.change.length || seqs.activity.length || seqs.context.length)) {
      // Last, so the lock is held for the settlement and the commit only: of two batches holding
      // matching evidence, the one settling second sees the first (ATTRIBUTION_LOCK, docs/attribution.md).
      await client.query('SELECT pg_advisory_xact_lock($1)', [ATTRIBUTION_LOCK]);
      await this.afterInsert(client, seqs);
    }
    await client.query('COMMIT');
    return { stored, duplicates: batch.events.length - stored, deadLettered, duplicateDelivery: false, seqs };
  }

  private async ensurePartitions(byKind: Map<EventKind, AuditEvent[]>): Promise<void> {
    const changes = byKind.get('change');
    if (changes) {
      await this.partitions.ensure('changes', changes.map((e) => dayOf(e.kind === 'change' && e.committedAt && !Number.isNaN(e.committedAt.getTime()) ? e.committedAt : EPOCH)));
    }
    const activity = byKind.get('activity');
    if (activity) {
      await this.partitions.ensure('activity', activity.map((e) => {
        const t = e.kind === 'activity' ? (e.occurredAt ?? e.startedAt) : null;
        return dayOf(t && !Number.isNaN(t.getTime()) ? t : EPOCH);
      }));
    }
  }
}

/** Read a source's checkpoints (e.g. Kafka offsets to seek to, the replication slot's confirmed LSN). */
export async function readCheckpoints(pool: pg.Pool, source: string): Promise<Map<string, string>> {
  const r = await pool.query<{ stream: string; position: string }>(
    'select stream, position from auditql.checkpoints where source = $1', [source]);
  return new Map(r.rows.map((x) => [x.stream, x.position]));
}

/**
 * The streams a batch writes: its checkpoints' streams, or the source alone ('') when it has none (a file,
 * Firehose). Locked per (source, stream) by `auditql.lock_streams`.
 */
function streamsOf(batch: Batch): string[] {
  return batch.checkpoints.length > 0 ? batch.checkpoints.map((c) => c.stream) : [''];
}
