-- auditql warehouse: the schema-change timeline (Query.schemaChanges, docs/graphql.md). Pages
-- walk (time, seq) newest first, where time is occurred_at or the epoch when the source gave none
-- (src/warehouse/queries/schema-change-page.ts), over all tables or one.
CREATE INDEX schema_changes_time ON auditql.schema_changes ((coalesce(occurred_at, timestamptz 'epoch')) DESC, seq DESC);
CREATE INDEX schema_changes_table_time ON auditql.schema_changes (table_name, (coalesce(occurred_at, timestamptz 'epoch')) DESC, seq DESC);
