-- auditql warehouse, version 3: attribution ("who", docs/attribution.md).
-- The settlement itself is set-based SQL in src/warehouse/attribution/; this file holds what it joins on.

-- The windows settlement uses. One row; change it with UPDATE. Not retroactive: evidence already recorded
-- stays recorded (auditql.attributions is append-only).
CREATE TABLE auditql.attribution_settings (
  id             boolean  PRIMARY KEY DEFAULT true CHECK (id),
  -- ACTIVITY_SESSION: an activity event of the same connection, on the changed table, at most this far
  -- from the change's commit time (MySQL binlog times have whole seconds).
  session_window interval NOT NULL DEFAULT '5 seconds' CHECK (session_window >= interval '0' AND session_window <= interval '1 hour'),
  -- ACTIVITY_TX / APP_CONTEXT: when both times are known, evidence at most this far from the change, so a
  -- 32-bit transaction id that wrapped around is never matched to the wrong epoch.
  tx_window      interval NOT NULL DEFAULT '1 day' CHECK (tx_window > interval '0')
);
INSERT INTO auditql.attribution_settings DEFAULT VALUES;

-- The names a changed table answers to, lower-cased: table, schema.table, database.table,
-- database.schema.table (MySQL has no schema: database.table).
CREATE FUNCTION auditql.change_object_keys(database_name text, schema_name text, table_name text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_remove(ARRAY[
    lower(table_name),
    lower(schema_name || '.' || table_name),
    lower(database_name || '.' || table_name),
    lower(database_name || '.' || schema_name || '.' || table_name)
  ], NULL)
$$;

-- The tables an activity event names, in the same form: its object name split on commas (Aurora MySQL
-- lists several), quotes and backticks removed, lower-cased; a bare name is qualified with the event's
-- database when it has one, so `orders` in database `shop` only meets shop's `orders`.
CREATE FUNCTION auditql.activity_object_keys(object_name text, database_name text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(CASE WHEN strpos(n, '.') > 0 OR database_name IS NULL THEN n
                                 ELSE lower(database_name) || '.' || n END), '{}')
  FROM (SELECT lower(btrim(translate(p, '"`', ''))) AS n FROM unnest(string_to_array(object_name, ',')) AS p) s
  WHERE n <> ''
$$;

-- Which numbering a transaction id belongs to. Ids are only compared within one namespace: PostgreSQL
-- xids (pgoutput, Debezium PostgreSQL source.txId, pgAudit %x, DAS PostgreSQL transactionId) meet each
-- other; MySQL's are three different numberings (Debezium: GTID; Maxwell: binlog XID; DAS Aurora MySQL:
-- InnoDB transaction id) that must never meet by coincidence of digits.
CREATE FUNCTION auditql.tx_namespace(format text, extra jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN format IN ('pgoutput', 'pgaudit') THEN 'postgresql'
    WHEN format = 'das' THEN CASE WHEN extra->>'engine' = 'postgresql' THEN 'postgresql'
                                  ELSE 'das-' || coalesce(extra->>'engine', 'unknown') END
    WHEN format = 'debezium' THEN CASE WHEN extra->>'connector' = 'postgresql' OR extra ? 'lsn' THEN 'postgresql'
                                       ELSE 'debezium-' || coalesce(extra->>'connector', 'unknown') END
    ELSE format
  END
$$;

-- Whether an activity event's `pid` is a backend (connection) id: PostgreSQL's. Aurora MySQL's `pid` is
-- the server process, shared by every connection; its connection id is `sessionId`.
CREATE FUNCTION auditql.pid_is_connection(format text, extra jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT format = 'pgaudit' OR (format = 'das' AND extra->>'engine' = 'postgresql')
$$;

-- pgAudit entries written before their transaction had an xid (the first write, unless
-- pgaudit.log_rows = on) are tied to the transaction through another entry of the same session with the
-- same virtual transaction id (docs/formats/pgaudit.md).
CREATE INDEX activity_vxid ON auditql.activity (server, (coalesce(session_id, pid)), (extra->>'vxid'))
  WHERE extra ? 'vxid';
