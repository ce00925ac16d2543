-- auditql warehouse: the transaction locator (docs/warehouse.md "Reading one transaction: the transaction
-- locator"). For each transaction (source transaction id, server), the UTC days its changes and its activity
-- are on, one row per batch, relation and day: append-only with no unique key, so concurrent writers never
-- wait on each other here; reads take the distinct days. Written by the sink in the batch's transaction
-- (src/warehouse/tx-locator.ts), so a reader never sees a row of a transaction the locator does not know.
-- Reads of a transaction by id look here first and then read only those days' partitions, so their cost
-- follows the transaction, not the number of days kept. Retention deletes the rows of the days it drops.
-- A derived index of auditql.changes and auditql.activity, not audit data: the INSERTs at the end of this
-- file rebuild it.
CREATE TABLE auditql.tx_parts (
  tx_id     text NOT NULL,
  server    text,
  -- which partitioned table the rows are in
  relation  text NOT NULL CHECK (relation IN ('changes', 'activity')),
  part_day  date NOT NULL
);
CREATE INDEX tx_parts_tx ON auditql.tx_parts (tx_id, server);
-- retention: the rows of the days it drops
CREATE INDEX tx_parts_day ON auditql.tx_parts (part_day);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_writer') THEN
    GRANT SELECT, INSERT ON auditql.tx_parts TO auditql_writer;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_reader') THEN
    GRANT SELECT ON auditql.tx_parts TO auditql_reader;
  END IF;
END $$;

-- Existing warehouses: one pass over the stored changes and activity that carry a transaction id (each
-- partition's partial tx index, in this migration's transaction).
INSERT INTO auditql.tx_parts (tx_id, server, relation, part_day)
SELECT DISTINCT tx_id, server, 'changes', (part_at AT TIME ZONE 'UTC')::date FROM auditql.changes WHERE tx_id IS NOT NULL;
INSERT INTO auditql.tx_parts (tx_id, server, relation, part_day)
SELECT DISTINCT tx_id, server, 'activity', (part_at AT TIME ZONE 'UTC')::date FROM auditql.activity WHERE tx_id IS NOT NULL;
