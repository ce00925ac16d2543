-- auditql warehouse: the API access records become leaves of the ledger (docs/ledger.md "The log").
-- `auditql.api_access` has its own sequence (migration 011), not the feed's, so its leaves are kept in
-- their own seq space: kind 7, `seq` = the record's own seq, unique per space (a feed seq and an access seq
-- may carry the same number). The follower appends them after the feed rows of the same run, in their seq
-- order, up to the highest access seq committed (`last_access_seq` is how far it got).
ALTER TABLE auditql.ledger_leaves DROP CONSTRAINT ledger_leaves_seq_key;
CREATE UNIQUE INDEX ledger_leaves_seq ON auditql.ledger_leaves (seq, (kind = 7));
ALTER TABLE auditql.ledger_state ADD COLUMN last_access_seq bigint NOT NULL DEFAULT 0;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_writer') THEN
    -- the ledger follower reads the access records back to hash them; it still cannot write or change one
    GRANT SELECT ON auditql.api_access TO auditql_writer;
  END IF;
END $$;
