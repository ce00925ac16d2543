/**
 * The normalized event model (docs/event-model.md). Every decoder returns these values;
 * nobody mutates them (use the factories, which freeze).
 */
import type { Json, JsonRow } from './json.js';

export type SourceFormat = 'debezium' | 'maxwell' | 'das' | 'pgaudit' | 'pgoutput' | 'mapped';

export type Operation = 'INSERT' | 'UPDATE' | 'DELETE' | 'SNAPSHOT' | 'TRUNCATE';

/** Where a change's key came from, strongest first. */
export type KeySource =
  | 'RECORD_KEY' // the Kafka record key (Debezium key struct, Maxwell hash/array key)
  | 'SOURCE_PK' // primary-key columns the record itself names (Maxwell primary_key_columns, pgoutput relation)
  | 'CONFIGURED' // --key DB_OR_SCHEMA.TABLE=COL[,COL]
  | 'ID_COLUMN' // a column literally called `id`
  | 'ROW_IMAGE' // nothing better: the whole row image identifies the row
  | 'NONE'; // no row (TRUNCATE)

/** Where a timestamp came from. */
export type TimeSource = 'SOURCE' | 'ENVELOPE' | 'UNKNOWN';

/** Normalized activity classes, so users can segregate them. The raw class is kept beside. */
export type ActivityClass =
  | 'READ'
  | 'WRITE'
  | 'DDL'
  | 'ROLE'
  | 'FUNCTION'
  | 'CONNECT'
  | 'DISCONNECT'
  | 'ERROR'
  | 'AUTH_FAILURE'
  | 'MISC'
  | 'OTHER';

export const ACTIVITY_CLASSES: readonly ActivityClass[] = [
  'READ', 'WRITE', 'DDL', 'ROLE', 'FUNCTION', 'CONNECT', 'DISCONNECT', 'ERROR', 'AUTH_FAILURE', 'MISC', 'OTHER',
];

/**
 * Which server and connection an event came from: the join keys of attribution (docs/attribution.md "Server identity").
 * `server` is the logical server identity (Debezium `source.name`, Maxwell/MySQL `server_id`, DAS
 * `clusterId`/`instanceId`, pgAudit host); `connection` is the session (MySQL thread id, PG backend pid).
 */
export interface Origin {
  readonly server: string | null;
  readonly connection: string | null;
  /** A user the source itself reports (evidence `SOURCE`), when it has one. */
  readonly user: string | null;
}

interface EventBase {
  readonly format: SourceFormat;
  /**
   * Unique per source and stable across redelivery: the sink's idempotency key. Decoders return events
   * with the record position; the pipeline suffixes `#n` when one record yields several events.
   */
  readonly position: string;
}

export interface ChangeEvent extends EventBase {
  readonly kind: 'change';
  readonly operation: Operation;
  readonly database: string | null;
  /** PostgreSQL schema; null for MySQL. */
  readonly schema: string | null;
  readonly table: string;
  /** Primary-key columns → values. Composite keys allowed; never assumed to be `id`. */
  readonly key: JsonRow;
  readonly keySource: KeySource;
  readonly before: JsonRow | null;
  readonly after: JsonRow | null;
  /** False when the source could not give a full before image: old values not in `before` are unknown, not null. */
  readonly beforeComplete: boolean;
  /** Columns whose value the source did not send (unchanged TOAST): absent from `before`/`after`, never stored as values. */
  readonly unknownBefore: readonly string[];
  readonly unknownAfter: readonly string[];
  /** Columns whose value changed (or may have: with an incomplete before image, every known after column). */
  readonly changedFields: readonly string[];
  readonly txId: string | null;
  /** Order of this event within its transaction, when the source says. */
  readonly txOrder: number | null;
  readonly committedAt: Date | null;
  readonly committedAtSource: TimeSource;
  readonly origin: Origin;
  /** Format-specific facts worth keeping (LSN, binlog file/pos, GTID, original query, snapshot marker…). */
  readonly extra: JsonRow;
}

export interface ActivityEvent extends EventBase {
  readonly kind: 'activity';
  readonly class: ActivityClass;
  readonly rawClass: string | null;
  readonly command: string | null;
  readonly commandText: string | null;
  readonly objectType: string | null;
  readonly objectName: string | null;
  readonly database: string | null;
  readonly dbUser: string | null;
  readonly remoteHost: string | null;
  readonly remotePort: string | null;
  readonly clientApplication: string | null;
  readonly sessionId: string | null;
  readonly pid: string | null;
  readonly statementId: string | null;
  readonly substatementId: string | null;
  readonly rowCount: number | null;
  readonly exitCode: string | null;
  readonly errorMessage: string | null;
  readonly txId: string | null;
  readonly startedAt: Date | null;
  /** When the event was logged (statement end). Null if unknown. */
  readonly occurredAt: Date | null;
  /** Server identity (same meaning as Origin.server) so activity joins changes of the same server. */
  readonly server: string | null;
  readonly parameters: Json;
  /** Format-specific: engineNativeAuditFields, pgAudit audit type, DAS version… */
  readonly extra: JsonRow;
}

/** Application context for a transaction: a transactional logical message with the configured prefix. */
export interface ContextEvent extends EventBase {
  readonly kind: 'context';
  readonly txId: string | null;
  readonly server: string | null;
  readonly prefix: string;
  readonly transactional: boolean;
  /** The message content, decoded as JSON when it is JSON, else `{ "raw": "<text>" }`. */
  readonly content: JsonRow;
  /** `content.user` when it is a string. */
  readonly appUser: string | null;
  readonly occurredAt: Date | null;
}

export interface TransactionEvent extends EventBase {
  readonly kind: 'transaction';
  readonly status: 'BEGIN' | 'END';
  readonly txId: string;
  readonly server: string | null;
  readonly occurredAt: Date | null;
  readonly eventCount: number | null;
  readonly dataCollections: Json;
}

export interface SchemaChangeEvent extends EventBase {
  readonly kind: 'schema-change';
  readonly changeType: string; // e.g. table-create, ALTER, database-drop
  readonly database: string | null;
  readonly schema: string | null;
  readonly table: string | null;
  readonly ddl: string | null;
  readonly server: string | null;
  readonly occurredAt: Date | null;
  readonly detail: Json;
}

export type AuditEvent = ChangeEvent | ActivityEvent | ContextEvent | TransactionEvent | SchemaChangeEvent;
export type EventKind = AuditEvent['kind'];

type Fields<E> = Omit<E, 'kind'>;

export const change = (e: Fields<ChangeEvent>): ChangeEvent => Object.freeze({ kind: 'change', ...e });
export const activity = (e: Fields<ActivityEvent>): ActivityEvent => Object.freeze({ kind: 'activity', ...e });
export const context = (e: Fields<ContextEvent>): ContextEvent => Object.freeze({ kind: 'context', ...e });
export const transaction = (e: Fields<TransactionEvent>): TransactionEvent =>
  Object.freeze({ kind: 'transaction', ...e });
export const schemaChange = (e: Fields<SchemaChangeEvent>): SchemaChangeEvent =>
  Object.freeze({ kind: 'schema-change', ...e });

/** Re-position an event (the pipeline's `#n` suffix) without mutating it. */
export function withPosition<E extends AuditEvent>(event: E, position: string): E {
  return Object.freeze({ ...event, position }) as unknown as E;
}
