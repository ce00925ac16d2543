-- auditql:concurrent-indexes
-- Run outside a transaction, index by index, partition by partition, without blocking ingest
-- (migrations/README.md "Index builds that do not block ingest"). Every read of activity_session compares
-- session_id with `=`, which implies it is not null, so the rows without a session need no entry
-- (docs/warehouse.md "Indexes"). The new index is complete before the old one goes.
CREATE INDEX activity_session_partial ON auditql.activity (server, session_id, part_at) WHERE session_id IS NOT NULL;
DROP INDEX auditql.activity_session;
