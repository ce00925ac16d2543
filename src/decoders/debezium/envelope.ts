/**
 * The Debezium record shapes auditql reads, typed where they enter (docs/formats/debezium.md "Source facts";
 * docs/contributing.md "Specs at the boundary"). Everything here is external input: every field is optional and loosely typed until the code
 * that reads it checks it. Sources (DBZ = github.com/debezium/debezium @ aad55199):
 * - Kafka Connect JsonConverter (apache/kafka `connect/json/src/main/java/org/apache/kafka/connect/json/
 *   JsonSchema.java`, `JsonConverter.java`): `{schema, payload}` with `schemas.enable=true`, the bare payload
 *   otherwise; schema field names `type optional name version doc parameters default field fields items keys
 *   values`; type names `int8 int16 int32 int64 float double boolean string bytes array map struct`.
 * - Value envelope: DBZ `debezium-connector-common/.../schema/SchemaFactory.java` (envelope, source,
 *   transaction block `event.block`), documentation `connectors/postgresql.adoc` and
 *   `partials/modules/all-connectors/shared-mariadb-mysql.adoc` "Change event values" (docs/formats/debezium.md "Envelope").
 * - Source block: `PostgresSourceInfoStructMaker.java`, `BinlogSourceInfoStructMaker.java` (docs/formats/debezium.md "Source block").
 * - Transaction topic: `TransactionMetadataValue`, `PostgresTransactionMonitor.java`, `BinlogOffsetContext.java`
 *   (docs/formats/debezium.md "Transaction topic"). Schema-change topic: MySQL "Schema change topic" (same page,
 *   "Schema-change topic").
 */

/** A Kafka Connect schema as JsonConverter writes it (`asJsonSchema`). */
export interface ConnectSchema {
  readonly type?: string;
  readonly optional?: boolean;
  /** Logical type name: `org.apache.kafka.connect.data.Decimal`, `io.debezium.time.MicroTimestamp`, … */
  readonly name?: string;
  readonly version?: number;
  /** String → string: Decimal `scale`, `connect.decimal.precision`, `__debezium.unavailable.value.placeholder` … */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Set when this schema is a field of a struct. */
  readonly field?: string;
  readonly fields?: readonly ConnectSchema[];
  readonly items?: ConnectSchema;
  readonly keys?: ConnectSchema;
  readonly values?: ConnectSchema;
}

/** Data events' `op` (docs/formats/debezium.md "Envelope"). */
export type DebeziumOp = 'c' | 'u' | 'd' | 'r' | 't' | 'm';

/**
 * The `source` block. Numbers may arrive as strings and booleans as strings (`"snapshot":"true"`) from
 * older versions and hand-made pipelines; readers coerce (scalars.ts).
 */
export interface SourceBlock {
  readonly version?: unknown;
  /** `postgresql`, `mysql` (also `mariadb`, …). */
  readonly connector?: unknown;
  /** Logical server name = topic prefix. */
  readonly name?: unknown;
  /** DB change time (PG: commit time; MySQL: binlog event time). 0 = unknown (doc snapshot examples). */
  readonly ts_ms?: unknown;
  readonly ts_us?: unknown;
  readonly ts_ns?: unknown;
  /** Pre-1.0 events: MySQL epoch seconds / PostgreSQL epoch µs instead of ts_ms. */
  readonly ts_sec?: unknown;
  readonly ts_usec?: unknown;
  /** `true|first|first_in_data_collection|last_in_data_collection|last|false|incremental`, or a JSON boolean. */
  readonly snapshot?: unknown;
  readonly db?: unknown;
  /** PG: stringified JSON array `["<last committed LSN>","<current LSN>"]`. */
  readonly sequence?: unknown;
  // PostgreSQL (PostgresSourceInfoStructMaker)
  readonly schema?: unknown;
  readonly table?: unknown;
  readonly txId?: unknown;
  readonly lsn?: unknown;
  readonly xmin?: unknown;
  // MySQL (BinlogSourceInfoStructMaker)
  readonly server_id?: unknown;
  readonly gtid?: unknown;
  readonly file?: unknown;
  readonly pos?: unknown;
  readonly row?: unknown;
  readonly thread?: unknown;
  readonly query?: unknown;
}

/** `transaction` on data events, with `provide.transaction.metadata=true` (docs/formats/debezium.md "Transaction topic"). */
export interface TransactionBlock {
  /** PG `"<txId>:<lsn>"`; MySQL the GTID or `file=…,pos=…`. */
  readonly id?: unknown;
  readonly total_order?: unknown;
  readonly data_collection_order?: unknown;
}

/** A data event value payload (op c/u/d/r/t/m). */
export interface ChangePayload {
  readonly op?: unknown;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly source?: unknown;
  /** When the connector processed the event (Kafka Connect JVM clock), not the commit time. */
  readonly ts_ms?: unknown;
  readonly ts_us?: unknown;
  readonly ts_ns?: unknown;
  readonly transaction?: unknown;
  /** op `m` only: `{prefix, content}`, content = bytes (base64 in JSON). */
  readonly message?: unknown;
}

/** A value on `<prefix>.transaction` (schema `io.debezium.connector.common.TransactionMetadataValue`). */
export interface TransactionMetadataValue {
  readonly status: 'BEGIN' | 'END';
  readonly id: string;
  readonly ts_ms?: unknown;
  /** END only. */
  readonly event_count?: unknown;
  /** END only: `[{data_collection: "<schema|db>.<table>", event_count}]`. */
  readonly data_collections?: unknown;
}

/** A MySQL schema-change topic value (`io.debezium.connector.mysql.SchemaChangeValue`), docs/formats/debezium.md "Schema-change topic". */
export interface SchemaChangeValue {
  readonly source?: unknown;
  readonly ts_ms?: unknown;
  readonly databaseName?: unknown;
  readonly schemaName?: unknown;
  /** May hold several statements. */
  readonly ddl?: unknown;
  /** `[{type: CREATE|ALTER|DROP, id: "\"db\".\"table\"" (rename: "old,new"), table: {…}}]` */
  readonly tableChanges?: unknown;
}

/** Logical type names this decoder converts (values.ts). */
export const LogicalType = {
  DECIMAL: 'org.apache.kafka.connect.data.Decimal',
  CONNECT_DATE: 'org.apache.kafka.connect.data.Date',
  CONNECT_TIME: 'org.apache.kafka.connect.data.Time',
  CONNECT_TIMESTAMP: 'org.apache.kafka.connect.data.Timestamp',
  VARIABLE_SCALE_DECIMAL: 'io.debezium.data.VariableScaleDecimal',
  JSON: 'io.debezium.data.Json',
  DATE: 'io.debezium.time.Date',
  TIME: 'io.debezium.time.Time',
  MICRO_TIME: 'io.debezium.time.MicroTime',
  NANO_TIME: 'io.debezium.time.NanoTime',
  TIMESTAMP: 'io.debezium.time.Timestamp',
  MICRO_TIMESTAMP: 'io.debezium.time.MicroTimestamp',
  NANO_TIMESTAMP: 'io.debezium.time.NanoTimestamp',
  ZONED_TIMESTAMP: 'io.debezium.time.ZonedTimestamp',
  ZONED_TIME: 'io.debezium.time.ZonedTime',
  HEARTBEAT: 'io.debezium.connector.common.Heartbeat',
} as const;

/** Kafka headers Debezium sets on the two events of a primary-key update (PGDOC "Primary key updates"). */
export const NEW_KEY_HEADER = '__debezium.newkey';
export const OLD_KEY_HEADER = '__debezium.oldkey';
