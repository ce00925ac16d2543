-- auditql warehouse, version 2: indexes for the read API (src/warehouse/queries/).
-- whoChanged / changes(filter: {table}) without a key: a table's changes newest first, by time.
CREATE INDEX changes_table_time ON auditql.changes (table_name, part_at DESC, seq DESC);
