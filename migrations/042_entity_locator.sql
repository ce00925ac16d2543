-- auditql warehouse: the entity locator (docs/warehouse.md "Reading one entity: the locator").
-- Rows per entity (table, canonical key text, database, schema) and UTC day it has changes on, with how
-- many changes a batch wrote for it that day (one row per batch and day: append-only, with no unique key, so
-- concurrent writers never wait on each other here; reads sum them), written by the sink in the batch's transaction
-- (src/warehouse/entity-locator.ts). Entity-keyed reads look here first and then read only the partitions
-- of the days they need, so their cost follows the entity's own history, not the number of days kept.
-- Retention deletes the rows of the days it drops. A derived index of auditql.changes, not audit data: it
-- can be rebuilt from the changes at any time with the INSERT at the end of this file.
CREATE TABLE auditql.entity_parts (
  table_name    text   NOT NULL,
  key_text      text   NOT NULL,
  database_name text,
  schema_name   text,
  part_day      date   NOT NULL,
  -- changes written for the entity that day: a hint for how many days a page needs (a redelivered
  -- record the sink dropped as a duplicate may have been counted; reads never trust it to be exact)
  n             bigint NOT NULL
);
CREATE INDEX entity_parts_key ON auditql.entity_parts (table_name, key_text, database_name, schema_name, part_day);
-- retention: the rows of the days it drops
CREATE INDEX entity_parts_day ON auditql.entity_parts (part_day);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_writer') THEN
    GRANT SELECT, INSERT ON auditql.entity_parts TO auditql_writer;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_reader') THEN
    GRANT SELECT ON auditql.entity_parts TO auditql_reader;
  END IF;
END $$;

-- Existing warehouses: one pass over the stored changes (a sequential scan of every partition, in this
-- migration's transaction).
INSERT INTO auditql.entity_parts (table_name, key_text, database_name, schema_name, part_day, n)
SELECT table_name, key_text, database_name, schema_name, (part_at AT TIME ZONE 'UTC')::date, count(*)
  FROM auditql.changes
 GROUP BY 1, 2, 3, 4, 5;
