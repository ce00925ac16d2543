-- auditql warehouse: which schema version a change was written under (Change.schemaChange, docs/graphql.md).
-- The sources that report DDL (Maxwell, Debezium's MySQL connector) put a binlog position on both their DDL
-- and their row events: Maxwell `position` "binlogfile:offset", Debezium `source.file` and `source.pos`,
-- kept in schema_changes.detail and changes.extra. A binlog position orders events of one server: file
-- names count up at fixed width, offsets within a file. Null when the record carries none.
CREATE FUNCTION auditql.binlog_file(facts jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT coalesce(facts->>'file', substring(facts->>'position' from '^(.+):[0-9]{1,18}$')) $$;

CREATE FUNCTION auditql.binlog_pos(facts jsonb) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE
    WHEN facts->>'pos' ~ '^[0-9]{1,18}$' THEN (facts->>'pos')::bigint
    ELSE substring(facts->>'position' from ':([0-9]{1,18})$')::bigint
  END $$;

-- The latest DDL of a table at or before a position, per source: one index probe per change.
CREATE INDEX schema_changes_version ON auditql.schema_changes
  (source, table_name, auditql.binlog_file(detail), auditql.binlog_pos(detail), seq);
