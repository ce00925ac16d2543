/** Kysely table types for the warehouse (migrations/*.sql is the source of truth; keep these in step). */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, never>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, never>;
type Json = ColumnType<unknown, string, never>;
type Int8 = ColumnType<string, string | number | bigint, never>;

export interface ChangesTable {
  seq: Int8;
  source: string;
  position: string;
  part_at: Timestamp;
  format: string;
  operation: string;
  database_name: string | null;
  schema_name: string | null;
  table_name: string;
  key: Json;
  key_text: string;
  key_source: string;
  before: Json | null;
  after: Json | null;
  before_complete: boolean;
  unknown_before: string[];
  unknown_after: string[];
  changed_fields: string[];
  tx_id: string | null;
  tx_order: Int8 | null;
  committed_at: NullableTimestamp;
  committed_at_source: string;
  server: string | null;
  connection: string | null;
  source_user: string | null;
  extra: Json;
  ingested_at: Generated<Date>;
}

export interface ActivityTable {
  seq: Int8;
  source: string;
  position: string;
  part_at: Timestamp;
  format: string;
  class: string;
  raw_class: string | null;
  command: string | null;
  command_text: string | null;
  object_type: string | null;
  object_name: string | null;
  database_name: string | null;
  db_user: string | null;
  remote_host: string | null;
  remote_port: string | null;
  client_application: string | null;
  session_id: string | null;
  pid: string | null;
  statement_id: string | null;
  substatement_id: string | null;
  row_count: Int8 | null;
  exit_code: string | null;
  error_message: string | null;
  tx_id: string | null;
  started_at: NullableTimestamp;
  occurred_at: NullableTimestamp;
  server: string | null;
  parameters: Json | null;
  extra: Json;
  ingested_at: Generated<Date>;
}

export interface ContextsTable {
  seq: Int8;
  source: string;
  position: string;
  format: string;
  tx_id: string | null;
  server: string | null;
  prefix: string;
  transactional: boolean;
  content: Json;
  app_user: string | null;
  occurred_at: NullableTimestamp;
  ingested_at: Generated<Date>;
}

export interface TransactionEventsTable {
  seq: Int8;
  source: string;
  position: string;
  format: string;
  status: string;
  tx_id: string;
  server: string | null;
  occurred_at: NullableTimestamp;
  event_count: Int8 | null;
  data_collections: Json | null;
  ingested_at: Generated<Date>;
}

export interface SchemaChangesTable {
  seq: Int8;
  source: string;
  position: string;
  format: string;
  change_type: string;
  database_name: string | null;
  schema_name: string | null;
  table_name: string | null;
  ddl: string | null;
  server: string | null;
  occurred_at: NullableTimestamp;
  detail: Json | null;
  ingested_at: Generated<Date>;
}

export interface AttributionsTable {
  seq: Int8;
  change_seq: Int8;
  evidence: string;
  confidence: string;
  db_user: string | null;
  app_user: string | null;
  remote_host: string | null;
  client_application: string | null;
  activity_seq: Int8 | null;
  context_seq: Int8 | null;
  detail: Json;
  created_at: Generated<Date>;
}

export interface CheckpointsTable {
  source: string;
  stream: string;
  position: string;
  updated_at: Generated<Date>;
}

export interface DeadLettersTable {
  id: Generated<Int8>;
  source: string;
  position: string;
  format: string | null;
  error_code: string;
  error_message: string;
  raw_value: Buffer | null;
  raw_key: Buffer | null;
  topic: string | null;
  kafka_partition: number | null;
  kafka_offset: string | null;
  headers: Json | null;
  received_at: Generated<Date>;
}

export interface DeliveriesTable {
  source: string;
  request_id: string;
  records: number;
  received_at: Generated<Date>;
}

export interface ApiKeysTable {
  key_id: string;
  name: string;
  role: string;
  secret_hash: string;
  created_at: Generated<Date>;
  last_used_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  revoked_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface ApiAccessTable {
  seq: Generated<string>;
  at: Timestamp;
  principal: string | null;
  role: string | null;
  auth_kind: string | null;
  client_address: string | null;
  transport: string;
  event: string;
  operation_type: string | null;
  operation_name: string | null;
  document_hash: string | null;
  variables: Json | null;
  rows_returned: number | null;
  decision: string;
  reason: string | null;
  duration_ms: number | null;
}

export interface Warehouse {
  'auditql.changes': ChangesTable;
  'auditql.activity': ActivityTable;
  'auditql.contexts': ContextsTable;
  'auditql.transaction_events': TransactionEventsTable;
  'auditql.schema_changes': SchemaChangesTable;
  'auditql.attributions': AttributionsTable;
  'auditql.checkpoints': CheckpointsTable;
  'auditql.dead_letters': DeadLettersTable;
  'auditql.deliveries': DeliveriesTable;
  'auditql.api_keys': ApiKeysTable;
  'auditql.api_access': ApiAccessTable;
}
