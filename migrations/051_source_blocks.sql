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
