-- auditql warehouse, version 1. Applied by `auditql migrate` (src/warehouse/migrate.ts), in order, once.
-- Placeholders expanded by the runner (see migrations/README.md):
--   {{PARTITION_BY col}}          plain path: PARTITION BY RANGE (col); TimescaleDB path: nothing
--   {{TIME_PARTITIONED tbl col}}  plain path: the DEFAULT partition; TimescaleDB path: create_hypertable
-- Append-only: nothing here is ever UPDATEd or DELETEd except the checkpoints. Partitions are dropped by
-- retention, never emptied by DELETE.

CREATE SCHEMA IF NOT EXISTS auditql;

-- One sequence for every stored row that a cursor or a subscription walks. Allocated under the sink's
-- transaction-scoped advisory lock, so it only grows in commit order (docs/cursors.md).
CREATE SEQUENCE auditql.feed_seq;

CREATE TABLE auditql.changes (
  seq                 bigint      NOT NULL,
  source              text        NOT NULL,
  position            text        NOT NULL,
  -- partition key: committed_at, or the epoch when unknown (lands in the default partition)
  part_at             timestamptz NOT NULL,
  format              text        NOT NULL,
  operation           text        NOT NULL,
  database_name       text,
  schema_name         text,
  table_name          text        NOT NULL,
  key                 jsonb       NOT NULL,
  -- canonical key text (src/model/row-key.ts keyText): matches whatever JSON type a caller uses
  key_text            text        NOT NULL,
  key_source          text        NOT NULL,
  before              jsonb,
  after               jsonb,
  before_complete     boolean     NOT NULL,
  unknown_before      text[]      NOT NULL DEFAULT '{}',
  unknown_after       text[]      NOT NULL DEFAULT '{}',
  changed_fields      text[]      NOT NULL,
  tx_id               text,
  tx_order            bigint,
  committed_at        timestamptz,
  committed_at_source text        NOT NULL,
  server              text,
  connection          text,
  source_user         text,
  extra               jsonb       NOT NULL DEFAULT '{}',
  ingested_at         timestamptz NOT NULL DEFAULT now()
) {{PARTITION_BY part_at}};
{{TIME_PARTITIONED auditql.changes part_at}}
CREATE UNIQUE INDEX changes_source_position ON auditql.changes (source, position, part_at);
CREATE INDEX changes_entity ON auditql.changes (table_name, key_text, part_at DESC, seq DESC);
CREATE INDEX changes_seq ON auditql.changes (seq);
CREATE INDEX changes_time ON auditql.changes (part_at DESC, seq DESC);
CREATE INDEX changes_tx ON auditql.changes (tx_id, server) WHERE tx_id IS NOT NULL;
CREATE INDEX changes_connection ON auditql.changes (server, connection, part_at) WHERE connection IS NOT NULL;

CREATE TABLE auditql.activity (
  seq                bigint      NOT NULL,
  source             text        NOT NULL,
  position           text        NOT NULL,
  part_at            timestamptz NOT NULL,
  format             text        NOT NULL,
  class              text        NOT NULL,
  raw_class          text,
  command            text,
  command_text       text,
  object_type        text,
  object_name        text,
  database_name      text,
  db_user            text,
  remote_host        text,
  remote_port        text,
  client_application text,
  session_id         text,
  pid                text,
  statement_id       text,
  substatement_id    text,
  row_count          bigint,
  exit_code          text,
  error_message      text,
  tx_id              text,
  started_at         timestamptz,
  occurred_at        timestamptz,
  server             text,
  parameters         jsonb,
  extra              jsonb       NOT NULL DEFAULT '{}',
  ingested_at        timestamptz NOT NULL DEFAULT now()
) {{PARTITION_BY part_at}};
{{TIME_PARTITIONED auditql.activity part_at}}
CREATE UNIQUE INDEX activity_source_position ON auditql.activity (source, position, part_at);
CREATE INDEX activity_user ON auditql.activity (db_user, part_at DESC, seq DESC);
CREATE INDEX activity_seq ON auditql.activity (seq);
CREATE INDEX activity_time ON auditql.activity (part_at DESC, seq DESC);
CREATE INDEX activity_tx ON auditql.activity (tx_id, server) WHERE tx_id IS NOT NULL;
CREATE INDEX activity_session ON auditql.activity (server, session_id, part_at);
CREATE INDEX activity_pid ON auditql.activity (server, pid, part_at) WHERE pid IS NOT NULL;

-- Application context (transactional logical messages with the configured prefix).
CREATE TABLE auditql.contexts (
  seq          bigint      NOT NULL PRIMARY KEY,
  source       text        NOT NULL,
  position     text        NOT NULL,
  format       text        NOT NULL,
  tx_id        text,
  server       text,
  prefix       text        NOT NULL,
  transactional boolean    NOT NULL,
  content      jsonb       NOT NULL,
  app_user     text,
  occurred_at  timestamptz,
  ingested_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source, position)
);
CREATE INDEX contexts_tx ON auditql.contexts (tx_id, server) WHERE tx_id IS NOT NULL;
CREATE INDEX contexts_app_user ON auditql.contexts (app_user) WHERE app_user IS NOT NULL;

-- Transaction boundaries where the source gives them (Debezium transaction topic, pgoutput BEGIN/COMMIT).
CREATE TABLE auditql.transaction_events (
  seq              bigint      NOT NULL PRIMARY KEY,
  source           text        NOT NULL,
  position         text        NOT NULL,
  format           text        NOT NULL,
  status           text        NOT NULL,
  tx_id            text        NOT NULL,
  server           text,
  occurred_at      timestamptz,
  event_count      bigint,
  data_collections jsonb,
  ingested_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source, position)
);
CREATE INDEX transaction_events_tx ON auditql.transaction_events (tx_id);

CREATE TABLE auditql.schema_changes (
  seq           bigint      NOT NULL PRIMARY KEY,
  source        text        NOT NULL,
  position      text        NOT NULL,
  format        text        NOT NULL,
  change_type   text        NOT NULL,
  database_name text,
  schema_name   text,
  table_name    text,
  ddl           text,
  server        text,
  occurred_at   timestamptz,
  detail        jsonb,
  ingested_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source, position)
);

-- Who did it (docs/attribution.md). Append-only: better evidence arriving later adds a row; the best
-- row per change wins at read time, and every row stays as the record of where the answer came from.
CREATE TABLE auditql.attributions (
  seq                bigint      NOT NULL PRIMARY KEY,
  change_seq         bigint      NOT NULL,
  evidence           text        NOT NULL,  -- APP_CONTEXT | ACTIVITY_TX | ACTIVITY_SESSION | SOURCE
  confidence         text        NOT NULL,  -- EXACT | PROBABLE
  db_user            text,
  app_user           text,
  remote_host        text,
  client_application text,
  activity_seq       bigint,
  context_seq        bigint,
  detail             jsonb       NOT NULL DEFAULT '{}',
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX attributions_unique ON auditql.attributions (change_seq, evidence, coalesce(activity_seq, context_seq, 0));
CREATE INDEX attributions_db_user ON auditql.attributions (db_user, change_seq DESC) WHERE db_user IS NOT NULL;
CREATE INDEX attributions_app_user ON auditql.attributions (app_user, change_seq DESC) WHERE app_user IS NOT NULL;

-- Consumer checkpoints, written in the same transaction as the batch they follow.
CREATE TABLE auditql.checkpoints (
  source      text        NOT NULL,
  stream      text        NOT NULL,  -- e.g. "topic/partition", a file path, a replication slot
  position    text        NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, stream)
);

-- Whole deliveries already stored (Firehose X-Amz-Firehose-Request-Id), so retries store nothing twice.
CREATE TABLE auditql.deliveries (
  source      text        NOT NULL,
  request_id  text        NOT NULL,
  records     integer     NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, request_id)
);

-- Anything that could not be decoded: its bytes, where it came from, and why. Ingest goes on.
CREATE TABLE auditql.dead_letters (
  id            bigserial   PRIMARY KEY,
  source        text        NOT NULL,
  position      text        NOT NULL,
  format        text,
  error_code    text        NOT NULL,
  error_message text        NOT NULL,
  raw_value     bytea,
  raw_key       bytea,
  topic         text,
  kafka_partition integer,
  kafka_offset  text,
  headers       jsonb,
  received_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source, position)
);
