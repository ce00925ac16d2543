-- auditql warehouse: the facts a change's `extra` repeats row after row, stored once (docs/warehouse.md
-- "Storing each fact once"). The connector, its version, the topic, the snapshot flag and the like go to
-- one row of source_blocks per distinct value, named by a hash of its content, and each change refers to it
-- by extra_block; the change's own `extra` keeps the rest. Readers merge the two back
-- (src/warehouse/source-blocks.ts). Rows stored before keep their whole `extra` and a NULL extra_block:
-- nothing is rewritten, and adding a nullable column without a default touches no row.
-- Append-only like the audit tables: the writer inserts blocks and never changes one.
CREATE TABLE auditql.source_blocks (
  -- the first 16 bytes of SHA-256 of the block's JSON text
  id     uuid  PRIMARY KEY,
  block  jsonb NOT NULL
);
ALTER TABLE auditql.changes ADD COLUMN extra_block uuid;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_writer') THEN
    GRANT SELECT, INSERT ON auditql.source_blocks TO auditql_writer;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_reader') THEN
    GRANT SELECT ON auditql.source_blocks TO auditql_reader;
  END IF;
END $$;

-- For SQL readers of the warehouse: every change with its key and extra whole, as the API returns them
-- (the same expressions as src/warehouse/stored-key.ts and source-blocks.ts; test/integration/stored-once.test.ts
-- holds them equal).
CREATE VIEW auditql.changes_whole AS
SELECT c.seq, c.source, c.position, c.part_at, c.format, c.operation, c.database_name, c.schema_name, c.table_name,
       coalesce(c.key, (SELECT jsonb_object_agg(k.p->>0, coalesce(c.after, c.before)->(k.p->>0))
                        FROM jsonb_array_elements(c.key_text::jsonb) k(p))) AS key,
       c.key_text, c.key_source, c.before, c.after, c.before_complete, c.unknown_before, c.unknown_after,
       c.changed_fields, c.tx_id, c.tx_order, c.committed_at, c.committed_at_source, c.server, c.connection,
       c.source_user,
       CASE WHEN c.extra_block IS NULL THEN c.extra
            ELSE (SELECT sb.block FROM auditql.source_blocks sb WHERE sb.id = c.extra_block) || c.extra END AS extra,
       c.ingested_at
FROM auditql.changes c;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_writer') THEN
    GRANT SELECT ON auditql.changes_whole TO auditql_writer;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_reader') THEN
    GRANT SELECT ON auditql.changes_whole TO auditql_reader;
  END IF;
END $$;
