/**
 * Events → the cells of the sink's COPY rows (direct-write.ts, staged-write.ts). One table per event kind;
 * each spec lists the column, its SQL type, and how to read it from the event. Keeping this in one place
 * keeps the COPY column lists and the staging tables honest with migrations/; the read side maps rows back
 * in queries/change-record.ts and queries/activity-record.ts (and, for tests, test/helpers/readback.ts).
 */
import type {
  ActivityEvent, AuditEvent, ChangeEvent, ContextEvent, SchemaChangeEvent, TransactionEvent,
} from '../model/events.js';
import { keyText } from '../model/row-key.js';
import { EPOCH } from './partitions.js';
import { textArrayLiteral } from './pg-array.js';
import { keyIsDerivable } from './stored-key.js';
import { splitExtra } from './source-blocks.js';

type Cell = string | number | boolean | null;
export interface ColumnSpec<E> {
  readonly column: string;
  /** SQL type of one element; `jsonb` and `text[]` travel as text and are cast per row. */
  readonly type: 'text' | 'bigint' | 'boolean' | 'timestamptz' | 'jsonb' | 'text[]' | 'uuid';
  readonly get: (e: E) => Cell;
  /**
   * jsonb, timestamptz and text[] columns: the value `get` encodes (a JSON value, a Date, the elements), so it
   * can be checked before it reaches SQL (src/ingest/validate-event.ts) without encoding it twice.
   */
  readonly value?: (e: E) => unknown;
}

// A row asks for the same instant's text more than once (part_at and committed_at): the last one is kept.
let lastTime = NaN;
let lastIso = '';
const iso = (d: Date | null): string | null => {
  if (!d) return null;
  const t = d.getTime();
  if (t === lastTime) return lastIso;
  if (Number.isNaN(t)) return null;
  lastIso = d.toISOString();
  lastTime = t;
  return lastIso;
};
const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const partAt = (d: Date | null): string => iso(d) ?? EPOCH.toISOString();

export const CHANGE_COLUMNS: readonly ColumnSpec<ChangeEvent>[] = [
  { column: 'part_at', type: 'timestamptz', get: (e) => partAt(e.committedAt) },
  { column: 'format', type: 'text', get: (e) => e.format },
  { column: 'operation', type: 'text', get: (e) => e.operation },
  { column: 'database_name', type: 'text', get: (e) => e.database },
  { column: 'schema_name', type: 'text', get: (e) => e.schema },
  { column: 'table_name', type: 'text', get: (e) => e.table },
  // NULL where the key is the image's values of its columns: derived on read (stored-key.ts)
  { column: 'key', type: 'jsonb', get: (e) => (keyIsDerivable(e) ? null : JSON.stringify(e.key)), value: (e) => e.key },
  { column: 'key_text', type: 'text', get: (e) => keyText(e.key) },
  { column: 'key_source', type: 'text', get: (e) => e.keySource },
  { column: 'before', type: 'jsonb', get: (e) => json(e.before), value: (e) => e.before },
  { column: 'after', type: 'jsonb', get: (e) => json(e.after), value: (e) => e.after },
  { column: 'before_complete', type: 'boolean', get: (e) => e.beforeComplete },
  { column: 'unknown_before', type: 'text[]', get: (e) => textArrayLiteral(e.unknownBefore), value: (e) => e.unknownBefore },
  { column: 'unknown_after', type: 'text[]', get: (e) => textArrayLiteral(e.unknownAfter), value: (e) => e.unknownAfter },
  { column: 'changed_fields', type: 'text[]', get: (e) => textArrayLiteral(e.changedFields), value: (e) => e.changedFields },
  { column: 'tx_id', type: 'text', get: (e) => e.txId },
  { column: 'tx_order', type: 'bigint', get: (e) => e.txOrder },
  { column: 'committed_at', type: 'timestamptz', get: (e) => iso(e.committedAt), value: (e) => e.committedAt },
  { column: 'committed_at_source', type: 'text', get: (e) => e.committedAtSource },
  { column: 'server', type: 'text', get: (e) => e.origin.server },
  { column: 'connection', type: 'text', get: (e) => e.origin.connection },
  { column: 'source_user', type: 'text', get: (e) => e.origin.user },
  // the row's own facts; those shared with other rows of its stream are in its block (source-blocks.ts)
  { column: 'extra', type: 'jsonb', get: (e) => JSON.stringify(splitExtra(e.extra).own), value: (e) => e.extra },
  { column: 'extra_block', type: 'uuid', get: (e) => splitExtra(e.extra).block?.id ?? null },
];

export const ACTIVITY_COLUMNS: readonly ColumnSpec<ActivityEvent>[] = [
  { column: 'part_at', type: 'timestamptz', get: (e) => partAt(e.occurredAt ?? e.startedAt) },
  { column: 'format', type: 'text', get: (e) => e.format },
  { column: 'class', type: 'text', get: (e) => e.class },
  { column: 'raw_class', type: 'text', get: (e) => e.rawClass },
  { column: 'command', type: 'text', get: (e) => e.command },
  { column: 'command_text', type: 'text', get: (e) => e.commandText },
  { column: 'object_type', type: 'text', get: (e) => e.objectType },
  { column: 'object_name', type: 'text', get: (e) => e.objectName },
  { column: 'database_name', type: 'text', get: (e) => e.database },
  { column: 'db_user', type: 'text', get: (e) => e.dbUser },
  { column: 'remote_host', type: 'text', get: (e) => e.remoteHost },
  { column: 'remote_port', type: 'text', get: (e) => e.remotePort },
  { column: 'client_application', type: 'text', get: (e) => e.clientApplication },
  { column: 'session_id', type: 'text', get: (e) => e.sessionId },
  { column: 'pid', type: 'text', get: (e) => e.pid },
  { column: 'statement_id', type: 'text', get: (e) => e.statementId },
  { column: 'substatement_id', type: 'text', get: (e) => e.substatementId },
  { column: 'row_count', type: 'bigint', get: (e) => e.rowCount },
  { column: 'exit_code', type: 'text', get: (e) => e.exitCode },
  { column: 'error_message', type: 'text', get: (e) => e.errorMessage },
  { column: 'tx_id', type: 'text', get: (e) => e.txId },
  { column: 'started_at', type: 'timestamptz', get: (e) => iso(e.startedAt), value: (e) => e.startedAt },
  { column: 'occurred_at', type: 'timestamptz', get: (e) => iso(e.occurredAt), value: (e) => e.occurredAt },
  { column: 'server', type: 'text', get: (e) => e.server },
  { column: 'parameters', type: 'jsonb', get: (e) => json(e.parameters), value: (e) => e.parameters },
  { column: 'extra', type: 'jsonb', get: (e) => JSON.stringify(e.extra), value: (e) => e.extra },
];

export const CONTEXT_COLUMNS: readonly ColumnSpec<ContextEvent>[] = [
  { column: 'format', type: 'text', get: (e) => e.format },
  { column: 'tx_id', type: 'text', get: (e) => e.txId },
  { column: 'server', type: 'text', get: (e) => e.server },
  { column: 'prefix', type: 'text', get: (e) => e.prefix },
  { column: 'transactional', type: 'boolean', get: (e) => e.transactional },
  { column: 'content', type: 'jsonb', get: (e) => JSON.stringify(e.content), value: (e) => e.content },
  { column: 'app_user', type: 'text', get: (e) => e.appUser },
  { column: 'occurred_at', type: 'timestamptz', get: (e) => iso(e.occurredAt), value: (e) => e.occurredAt },
];

export const TRANSACTION_COLUMNS: readonly ColumnSpec<TransactionEvent>[] = [
  { column: 'format', type: 'text', get: (e) => e.format },
  { column: 'status', type: 'text', get: (e) => e.status },
  { column: 'tx_id', type: 'text', get: (e) => e.txId },
  { column: 'server', type: 'text', get: (e) => e.server },
  { column: 'occurred_at', type: 'timestamptz', get: (e) => iso(e.occurredAt), value: (e) => e.occurredAt },
  { column: 'event_count', type: 'bigint', get: (e) => e.eventCount },
  { column: 'data_collections', type: 'jsonb', get: (e) => json(e.dataCollections), value: (e) => e.dataCollections },
];

export const SCHEMA_CHANGE_COLUMNS: readonly ColumnSpec<SchemaChangeEvent>[] = [
  { column: 'format', type: 'text', get: (e) => e.format },
  { column: 'change_type', type: 'text', get: (e) => e.changeType },
  { column: 'database_name', type: 'text', get: (e) => e.database },
  { column: 'schema_name', type: 'text', get: (e) => e.schema },
  { column: 'table_name', type: 'text', get: (e) => e.table },
  { column: 'ddl', type: 'text', get: (e) => e.ddl },
  { column: 'server', type: 'text', get: (e) => e.server },
  { column: 'occurred_at', type: 'timestamptz', get: (e) => iso(e.occurredAt), value: (e) => e.occurredAt },
  { column: 'detail', type: 'jsonb', get: (e) => json(e.detail), value: (e) => e.detail },
];

export interface KindTable<E extends AuditEvent> {
  readonly table: string;
  readonly columns: readonly ColumnSpec<E>[];
  /** The unique constraint that absorbs redelivery. */
  readonly conflict: string;
  /** Partitioned by `part_at`, which is then part of the unique key (a partition's index can only be unique over the partition key). */
  readonly partitioned: boolean;
}

export const KIND_TABLES = {
  change: { table: 'auditql.changes', columns: CHANGE_COLUMNS, conflict: '(source, position, part_at)', partitioned: true },
  activity: { table: 'auditql.activity', columns: ACTIVITY_COLUMNS, conflict: '(source, position, part_at)', partitioned: true },
  context: { table: 'auditql.contexts', columns: CONTEXT_COLUMNS, conflict: '(source, position)', partitioned: false },
  transaction: { table: 'auditql.transaction_events', columns: TRANSACTION_COLUMNS, conflict: '(source, position)', partitioned: false },
  'schema-change': { table: 'auditql.schema_changes', columns: SCHEMA_CHANGE_COLUMNS, conflict: '(source, position)', partitioned: false },
} as const satisfies { [K in AuditEvent['kind']]: KindTable<Extract<AuditEvent, { kind: K }>> };
