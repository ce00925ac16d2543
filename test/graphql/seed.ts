/**
 * Filling a test warehouse through the real sink (src/warehouse/sink.ts) with events built by the model's
 * factories; attribution evidence is inserted as the attribution step would record it.
 */
import { WarehouseSink } from '../../src/warehouse/sink.js';
import type { BatchResult } from '../../src/contracts/batch.js';
import { settleAttribution } from '../../src/warehouse/attribution.js';
import {
  activity, change, context, transaction, type ActivityEvent, type AuditEvent, type ChangeEvent, type ContextEvent, type TransactionEvent,
} from '../../src/model/events.js';
import { deriveChangedFields } from '../../src/model/changed-fields.js';
import type { JsonRow } from '../../src/model/json.js';
import type { WarehouseDb } from '../../src/warehouse/db.js';

let n = 0;
const nextPosition = () => `pos-${process.pid}-${++n}`;

export const at = (iso: string): Date => new Date(iso);

type ChangeInput = Partial<Omit<ChangeEvent, 'kind'>> & { key: JsonRow };

export function mkChange(p: ChangeInput): ChangeEvent {
  const operation = p.operation ?? 'UPDATE';
  const before = p.before !== undefined ? p.before : null;
  const after = p.after !== undefined ? p.after : null;
  const beforeComplete = p.beforeComplete ?? true;
  const unknownBefore = p.unknownBefore ?? [];
  const unknownAfter = p.unknownAfter ?? [];
  return change({
    format: p.format ?? 'debezium',
    position: p.position ?? nextPosition(),
    operation,
    database: p.database !== undefined ? p.database : 'shop',
    schema: p.schema !== undefined ? p.schema : 'public',
    table: p.table ?? 'customers',
    key: p.key,
    keySource: p.keySource ?? 'RECORD_KEY',
    before,
    after,
    beforeComplete,
    unknownBefore,
    unknownAfter,
    changedFields: p.changedFields ?? deriveChangedFields({ before, after, beforeComplete, unknownBefore, unknownAfter }),
    txId: p.txId !== undefined ? p.txId : null,
    txOrder: p.txOrder ?? null,
    committedAt: p.committedAt !== undefined ? p.committedAt : at('2026-11-20T10:00:00Z'),
    committedAtSource: p.committedAtSource ?? 'SOURCE',
    origin: p.origin ?? { server: 'pg1', connection: null, user: null },
    extra: p.extra ?? {},
  });
}

export function mkActivity(p: Partial<Omit<ActivityEvent, 'kind'>>): ActivityEvent {
  return activity({
    format: 'das',
    position: p.position ?? nextPosition(),
    class: 'READ',
    rawClass: null,
    command: 'SELECT',
    commandText: 'select 1',
    objectType: null,
    objectName: null,
    database: 'shop',
    dbUser: 'bob',
    remoteHost: '10.0.0.5',
    remotePort: '5432',
    clientApplication: 'psql',
    sessionId: 's1',
    pid: '4242',
    statementId: '1',
    substatementId: '1',
    rowCount: null,
    exitCode: '0',
    errorMessage: null,
    txId: null,
    startedAt: null,
    occurredAt: at('2026-11-20T10:00:00Z'),
    server: 'pg1',
    parameters: null,
    extra: {},
    ...p,
  });
}

export function mkContext(p: Partial<Omit<ContextEvent, 'kind'>> & { txId: string }): ContextEvent {
  const content = p.content ?? { user: 'alice@example.com', requestId: 'req-1' };
  return context({
    format: 'debezium',
    position: p.position ?? nextPosition(),
    server: 'pg1',
    prefix: 'auditql',
    transactional: true,
    content,
    appUser: typeof content['user'] === 'string' ? content['user'] : null,
    occurredAt: at('2026-11-20T10:00:00Z'),
    ...p,
  });
}

export function mkTransaction(p: Partial<Omit<TransactionEvent, 'kind'>> & { txId: string; status: 'BEGIN' | 'END' }): TransactionEvent {
  return transaction({
    format: 'debezium',
    position: p.position ?? nextPosition(),
    server: 'pg1',
    occurredAt: at('2026-11-20T10:00:00Z'),
    eventCount: null,
    dataCollections: null,
    ...p,
  });
}

export interface StoreOptions {
  readonly source?: string;
  /**
   * Run the CLI's attribution step (src/warehouse/attribution.ts) in the batch, as ingest does. Off by
   * default: API tests state the evidence they expect with `attribute`, independent of how attribution
   * derives it.
   */
  readonly attribution?: boolean;
}

/** Write events through the real sink, in one batch. */
export async function store(w: WarehouseDb, events: readonly AuditEvent[], o: StoreOptions = {}): Promise<BatchResult> {
  const sink = o.attribution ? new WarehouseSink(w.pool, settleAttribution) : new WarehouseSink(w.pool);
  return sink.write({ source: o.source ?? 'test', events, deadLetters: [], checkpoints: [] });
}

/** Store events one per batch and return their seqs in order. */
export async function storeEach(w: WarehouseDb, events: readonly AuditEvent[], o: StoreOptions = {}): Promise<string[]> {
  const seqs: string[] = [];
  for (const e of events) {
    const r = await store(w, [e], o);
    seqs.push(...r.seqs.change, ...r.seqs.activity, ...r.seqs.context);
  }
  return seqs;
}

export interface EvidenceRow {
  readonly evidence: 'APP_CONTEXT' | 'ACTIVITY_TX' | 'ACTIVITY_SESSION' | 'SOURCE';
  readonly confidence: 'EXACT' | 'PROBABLE';
  readonly dbUser?: string | null;
  readonly appUser?: string | null;
  readonly remoteHost?: string | null;
  readonly clientApplication?: string | null;
  readonly activitySeq?: string | null;
  readonly contextSeq?: string | null;
  /** What the evidence says beyond its columns (an application context's content). */
  readonly detail?: Record<string, unknown>;
}

/** Record attribution evidence for a change, as the attribution step does. */
export async function attribute(w: WarehouseDb, changeSeq: string, e: EvidenceRow): Promise<string> {
  const r = await w.pool.query<{ seq: string }>(
    `INSERT INTO auditql.attributions (seq, change_seq, evidence, confidence, db_user, app_user, remote_host, client_application, activity_seq, context_seq, detail)
     VALUES (nextval('auditql.feed_seq'), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq`,
    [changeSeq, e.evidence, e.confidence, e.dbUser ?? null, e.appUser ?? null, e.remoteHost ?? null, e.clientApplication ?? null, e.activitySeq ?? null, e.contextSeq ?? null, JSON.stringify(e.detail ?? {})],
  );
  return r.rows[0]!.seq;
}
