/**
 * The warehouse sink: writes one batch in one transaction — events of every kind, dead letters, the
 * consumer checkpoint and (for Firehose) the delivery id — so a crash at any point neither loses nor
 * duplicates anything (DESIGN.md "Warehouse"). Redelivered events hit the (source, position) unique keys
 * and are counted as duplicates. Rows get their feed sequence under a transaction-scoped advisory lock, so
 * `seq` only grows in commit order and a cursor never skips a row committed late.
 */
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { AuditEvent, EventKind } from '../model/events.js';
import type { ErrorCode } from '../errors.js';
import { KIND_TABLES, type ColumnSpec } from './columns.js';
import { dayOf, EPOCH, PartitionManager } from './partitions.js';
import { copyRow } from './copy-text.js';

/** The lock every sink takes before allocating feed sequence numbers. */
export const FEED_LOCK = 7_411_000;
/** NOTIFY channel that wakes API processes when rows were committed; payload = the highest seq. */
export const FEED_CHANNEL = 'auditql_feed';

export interface DeadLetter {
  readonly position: string;
  readonly format: string | null;
  readonly code: ErrorCode;
  readonly message: string;
  readonly value: Buffer | null;
  readonly key?: Buffer | null;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Checkpoint {
  readonly stream: string;
  readonly position: string;
}

export interface Batch {
  readonly source: string;
  readonly events: readonly AuditEvent[];
  readonly deadLetters: readonly DeadLetter[];
  readonly checkpoints: readonly Checkpoint[];
  /** A whole delivery (Firehose request id): stored with the batch; a repeat is refused as a duplicate. */
  readonly delivery?: { readonly requestId: string; readonly records: number };
}

export interface StoredSeqs {
  readonly change: readonly string[];
  readonly activity: readonly string[];
  readonly context: readonly string[];
}

export interface BatchResult {
  readonly stored: number;
  readonly duplicates: number;
  readonly deadLettered: number;
  /** True when `delivery` had already been stored: nothing in the batch was written. */
  readonly duplicateDelivery: boolean;
  readonly seqs: StoredSeqs;
}

/** Runs inside the batch transaction after the inserts (attribution settles new evidence here). */
export type AfterInsert = (client: pg.PoolClient, seqs: StoredSeqs) => Promise<void>;

/**
 * Each kind is written in two steps inside the batch transaction: COPY (text format, the cheapest way
 * into PostgreSQL) into a per-session temporary staging table without indexes or WAL, then one
 * INSERT … SELECT that allocates feed sequence numbers in batch order and lets the unique key absorb
 * redelivered events. The staging table empties itself at commit.
 */
const stageTable = (kind: EventKind) => `pg_temp.auditql_stage_${kind.replace('-', '_')}`;

function stageDdl(kind: EventKind, columns: readonly ColumnSpec<never>[]): string {
  const cols = columns.map((c) => `${c.column} ${c.type}`).join(', ');
  return `CREATE TEMP TABLE IF NOT EXISTS ${stageTable(kind).slice('pg_temp.'.length)} (n integer, position text, ${cols}) ON COMMIT DELETE ROWS`;
}

function insertSql(kind: EventKind, table: string, conflict: string, columns: readonly ColumnSpec<never>[]): string {
  const names = columns.map((c) => c.column).join(', ');
  return (
    `INSERT INTO ${table} (seq, source, position, ${names}) ` +
    `SELECT nextval('auditql.feed_seq'), $1, position, ${names} FROM (SELECT * FROM ${stageTable(kind)} ORDER BY n) s ` +
    `ON CONFLICT ${conflict} DO NOTHING RETURNING seq`
  );
}

interface KindSql { readonly stage: string; readonly copy: string; readonly insert: string }

const SQL = Object.fromEntries(
  Object.entries(KIND_TABLES).map(([kind, t]) => {
    const cols = t.columns as readonly ColumnSpec<never>[];
    const k = kind as EventKind;
    return [k, {
      stage: stageDdl(k, cols),
      copy: `COPY ${stageTable(k)} (n, position, ${cols.map((c) => c.column).join(', ')}) FROM STDIN`,
      insert: insertSql(k, t.table, t.conflict, cols),
    } satisfies KindSql];
  }),
) as Record<EventKind, KindSql>;

/** Staging tables are per session: remember which pooled connections already have them. */
const staged = new WeakMap<object, Set<EventKind>>();

async function copyInto(client: pg.PoolClient, kind: EventKind, events: readonly AuditEvent[]): Promise<void> {
  let have = staged.get(client);
  if (!have) staged.set(client, (have = new Set()));
  if (!have.has(kind)) {
    await client.query(SQL[kind].stage);
    have.add(kind);
  }
  const columns = KIND_TABLES[kind].columns as readonly ColumnSpec<AuditEvent>[];
  const stream = client.query(copyFrom(SQL[kind].copy));
  const done = finished(stream);
  let chunk = '';
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const cells: (string | number | boolean | null)[] = [i, e.position];
    for (const c of columns) cells.push(c.get(e));
    chunk += copyRow(cells);
    if (chunk.length > 1 << 20) {
      if (!stream.write(chunk)) await once(stream, 'drain');
      chunk = '';
    }
  }
  stream.end(chunk);
  await done;
}

const DEAD_LETTER_SQL =
  `INSERT INTO auditql.dead_letters (source, position, format, error_code, error_message, raw_value, raw_key, topic, kafka_partition, kafka_offset, headers) ` +
  `SELECT $1, u.* FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::bytea[], $8::text[], $9::int[], $10::text[], $11::jsonb[]) ` +
  `AS u ON CONFLICT (source, position) DO NOTHING`;

export class WarehouseSink {
  readonly partitions: PartitionManager;

  constructor(private readonly pool: pg.Pool, private readonly afterInsert?: AfterInsert) {
    this.partitions = new PartitionManager(pool);
  }

  async write(batch: Batch): Promise<BatchResult> {
    const byKind = new Map<EventKind, AuditEvent[]>();
    for (const e of batch.events) {
      const list = byKind.get(e.kind);
      if (list) list.push(e);
      else byKind.set(e.kind, [e]);
    }
    await this.ensurePartitions(byKind);

    const client = await this.pool.connect();
    try {
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
      await client.query('SELECT pg_advisory_xact_lock($1)', [FEED_LOCK]);
      const seqs: Record<'change' | 'activity' | 'context', string[]> = { change: [], activity: [], context: [] };
      let stored = 0;
      let maxSeq = '0';
      for (const [kind, events] of byKind) {
        await copyInto(client, kind, events);
        const r = await client.query<{ seq: string }>(SQL[kind].insert, [batch.source]);
        stored += r.rowCount ?? 0;
        for (const row of r.rows) if (BigInt(row.seq) > BigInt(maxSeq)) maxSeq = row.seq;
        if (kind === 'change' || kind === 'activity' || kind === 'context') seqs[kind].push(...r.rows.map((x) => x.seq));
      }
      let deadLettered = 0;
      if (batch.deadLetters.length > 0) {
        const d = batch.deadLetters;
        const r = await client.query(DEAD_LETTER_SQL, [
          batch.source,
          d.map((x) => x.position),
          d.map((x) => x.format),
          d.map((x) => x.code),
          d.map((x) => x.message),
          d.map((x) => x.value),
          d.map((x) => x.key ?? null),
          d.map((x) => x.topic ?? null),
          d.map((x) => x.partition ?? null),
          d.map((x) => x.offset ?? null),
          d.map((x) => (x.headers ? JSON.stringify(x.headers) : null)),
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
      if (this.afterInsert && (seqs.change.length || seqs.activity.length || seqs.context.length)) {
        await this.afterInsert(client, seqs);
      }
      if (stored > 0) await client.query('SELECT pg_notify($1, $2)', [FEED_CHANNEL, maxSeq]);
      await client.query('COMMIT');
      return { stored, duplicates: batch.events.length - stored, deadLettered, duplicateDelivery: false, seqs };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
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
