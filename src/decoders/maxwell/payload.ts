/**
 * Maxwell's Daemon JSON as its producers write it (docs/formats/maxwell.md "Source facts"). Read from github.com/zendesk/maxwell:
 * - DML rows: `src/main/java/com/zendesk/maxwell/row/RowMap.java` `toJSON` (field order and which
 *   `output_*` option adds each field) and `row/FieldNames.java` (the names);
 * - DDL: `schema/ddl/DDLMap.java` `toJSON` (the Jackson map of `ResolvedSchemaChange` plus `ts`, `sql`,
 *   `position`, `gtid`) and `schema/ddl/Resolved{Table,Database}{Create,Alter,Drop}.java` (its fields);
 * - Kafka key: `row/RowIdentity.java` `toKeyJson` (`kafka_key_format` hash or array);
 * - encryption: `row/DataJsonGenerator.java`, `row/RowEncrypt.java`, `docs/docs/encryption.md`;
 * - heartbeats and bootstrap: `row/HeartbeatRowMap.java`, `row/BootstrapRowMap.java`, `docs/docs/bootstrapping.md`.
 */
import type { Json, JsonRow } from '../../model/json.js';

/** Row events: `data` is the row after the change (before it, for a delete). */
export const ROW_TYPES = ['insert', 'update', 'delete', 'bootstrap-insert'] as const;
/** Bracket a bootstrap; `data` is `{}` (docs/docs/bootstrapping.md). */
export const BOOTSTRAP_MARKER_TYPES = ['bootstrap-start', 'bootstrap-complete'] as const;
/** `output_ddl` events (ResolvedSchemaChange's `@JsonSubTypes`). */
export const DDL_TYPES = [
  'database-create',
  'database-alter',
  'database-drop',
  'table-create',
  'table-alter',
  'table-drop',
] as const;

export type MaxwellRowType = (typeof ROW_TYPES)[number];
export type MaxwellMarkerType = (typeof BOOTSTRAP_MARKER_TYPES)[number];
export type MaxwellDdlType = (typeof DDL_TYPES)[number];

/**
 * `HeartbeatRowMap` has type `heartbeat` and never serializes (`toJSON()` returns null), so no heartbeat
 * reaches a consumer; listed so a hand-made or forked one is skipped rather than dead-lettered.
 */
export const HEARTBEAT_TYPE = 'heartbeat';

/** Maxwell's own schema (`schema_database`, default `maxwell`) and the tables whose rows are not audit data. */
export const MAXWELL_SCHEMA = 'maxwell';
export const HEARTBEATS_TABLE = 'heartbeats';
export const BOOTSTRAP_TABLE = 'bootstrap';

/** `encrypt=data|all`: AES/CBC/PKCS5Padding ciphertext and its random 16-byte IV, both base64. */
export interface MaxwellEncrypted {
  readonly iv: string;
  readonly bytes: string;
}

/** `encrypt=all`: the whole message, encrypted (`EncryptingJsonGenerator.writeEncryptedObject`). */
export interface MaxwellEncryptedMessage {
  readonly encrypted: MaxwellEncrypted;
}

/** `encrypt=data`: the plaintext of `encrypted` is this object (`EncryptingJsonGenerator.begin/end`). */
export interface MaxwellEncryptedData {
  readonly data: JsonRow;
  readonly old?: JsonRow;
}

/** A DML row, in RowMap.toJSON order. Optional fields depend on the `output_*` options noted. */
export interface MaxwellRowMessage {
  /** Absent in some documentation samples (dataformat.md "datetime", "sets"); read as null. */
  readonly database?: string | null;
  readonly table: string;
  /** `output_row_query` (needs MySQL `binlog_rows_query_log_events`). */
  readonly query?: string;
  readonly type: MaxwellRowType;
  /** Epoch SECONDS of the binlog event (`timestampSeconds`). */
  readonly ts?: number;
  /** InnoDB transaction id (`output_commit_info`, default on). Numbers past 2^53 arrive as decimal strings. */
  readonly xid?: number | string;
  /** Row index within the transaction (`output_xoffset`); never on the commit row. */
  readonly xoffset?: number;
  /** Present (true) on the last row of a transaction only. */
  readonly commit?: true;
  /** `output_binlog_position`: `"binlogfile:offset"`. */
  readonly position?: string;
  /** `output_gtid_position`; null when GTIDs are off. */
  readonly gtid?: string | null;
  readonly server_id?: number | string;
  readonly thread_id?: number | string;
  /** `output_schema_id`: Maxwell's own schema-store version, not a MySQL value. */
  readonly schema_id?: number | string;
  /** `output_push_timestamp`: epoch seconds with a microsecond fraction, when Maxwell sent it. */
  readonly push_ts?: number | string;
  /** Bootstrap comment. */
  readonly comment?: string;
  /** `output_primary_keys`: the key's values, in `primary_key_columns` order. */
  readonly primary_key?: readonly Json[];
  /** `output_primary_key_columns`. */
  readonly primary_key_columns?: readonly string[];
  readonly data: JsonRow;
  /** Updates only: the previous values of the columns that changed. */
  readonly old?: JsonRow;
  /** `encrypt=data`: replaces `data` and `old`. */
  readonly encrypted?: MaxwellEncrypted;
}

/** A column as DDLMap prints it inside `def`/`old` (schema/columndef/*ColumnDef.java). */
export interface MaxwellColumnDef {
  readonly type: string;
  readonly name: string;
  readonly signed?: boolean;
  readonly charset?: string;
  readonly 'column-length'?: number;
  readonly 'enum-values'?: readonly string[];
}

/** A table definition (`def`, and `old` on table-alter). */
export interface MaxwellTableDef {
  readonly database: string;
  readonly charset?: string;
  readonly table: string;
  readonly columns: readonly MaxwellColumnDef[];
  readonly 'primary-key'?: readonly string[];
}

/** `output_ddl` events (DDLMap.toJSON). Database-level ones carry `{type, database, charset}` and no table. */
export interface MaxwellDdlMessage {
  readonly type: MaxwellDdlType;
  readonly database?: string | null;
  readonly table?: string | null;
  readonly old?: MaxwellTableDef;
  readonly def?: MaxwellTableDef;
  readonly charset?: string;
  /** Epoch MILLISECONDS (DDLMap keeps the millisecond timestamp; rows print seconds). */
  readonly ts?: number;
  readonly sql?: string;
  readonly position?: string;
  readonly gtid?: string | null;
  readonly schema_id?: number;
}

/**
 * The Kafka record key (RowIdentity.toKeyJson). `hash` (default):
 * `{"database":"test_tb","table":"test_tbl","pk.id":4,"pk.part2":"hello"}`, PK column names lower-cased,
 * `{"database","table","_uuid":"<random>"}` when the table has no primary key. DDL keys are a bare UUID.
 */
export interface MaxwellHashKey {
  readonly database: string | null;
  readonly table: string;
  readonly _uuid?: string;
  readonly [pkColumn: `pk.${string}`]: Json;
}

/** `kafka_key_format=array`: `["db","table",[{"id":4},{"part2":"hello"}]]`, column names lower-cased. */
export type MaxwellArrayKey = readonly [string | null, string, readonly JsonRow[]];

/**
 * `output_naming_strategy=underscore_to_camelcase` renames the top-level fields (RowMap.toJSON applies
 * FieldNameStrategy to each): these are the multi-word ones, mapped back to their canonical names.
 */
export const CAMEL_CASE_FIELDS: Readonly<Record<string, string>> = {
  serverId: 'server_id',
  threadId: 'thread_id',
  schemaId: 'schema_id',
  pushTs: 'push_ts',
  primaryKey: 'primary_key',
  primaryKeyColumns: 'primary_key_columns',
};

export const isRowType = (t: unknown): t is MaxwellRowType => (ROW_TYPES as readonly unknown[]).includes(t);
export const isMarkerType = (t: unknown): t is MaxwellMarkerType => (BOOTSTRAP_MARKER_TYPES as readonly unknown[]).includes(t);
export const isDdlType = (t: unknown): t is MaxwellDdlType => (DDL_TYPES as readonly unknown[]).includes(t);
