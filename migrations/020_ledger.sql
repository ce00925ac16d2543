-- auditql warehouse: the ledger (docs/ledger.md). Every row that takes a feed sequence number — changes,
-- activity, contexts, transaction events, schema changes, attributions — is a leaf of one RFC 9162 Merkle
-- log in seq order. The sink appends the leaves of a batch in the batch's transaction
-- (src/warehouse/ledger/append.ts); signed checkpoints of the tree are sealed from it.

-- The leaves, in log order. leaf_index is the position in the log (0, 1, 2, …); seq is unique here, so
-- no two rows the sink stored share a seq, whichever tables they are in. kind: the table
-- (src/warehouse/ledger/canonical.ts LEAF_TABLES); part_at: the row's partition key, for the partitioned
-- tables, so a retention event can say exactly which leaves a dropped partition held.
CREATE TABLE auditql.ledger_leaves (
  leaf_index bigint      PRIMARY KEY,
  seq        bigint      NOT NULL UNIQUE,
  kind       smallint    NOT NULL,
  part_at    timestamptz,
  leaf_hash  bytea       NOT NULL
);
CREATE INDEX ledger_leaves_part ON auditql.ledger_leaves (kind, part_at) WHERE part_at IS NOT NULL;

-- Perfect subtrees of 2^level leaves (level ≥ 8), the index-th from the left: proofs read these instead
-- of hashing up to millions of leaves.
CREATE TABLE auditql.ledger_nodes (
  level smallint NOT NULL,
  idx   bigint   NOT NULL,
  hash  bytea    NOT NULL,
  PRIMARY KEY (level, idx)
);

-- Where the log stands: its size, the highest seq it covers, the compact range (the roots of its perfect
-- subtrees, largest first) from which the next append and the root are computed, and the size of the
-- last checkpoint. One row, rewritten by every append.
CREATE TABLE auditql.ledger_state (
  id          boolean  PRIMARY KEY DEFAULT true CHECK (id),
  tree_size   bigint   NOT NULL DEFAULT 0,
  last_seq    bigint   NOT NULL DEFAULT 0,
  frontier    bytea[]  NOT NULL DEFAULT '{}',
  sealed_size bigint   NOT NULL DEFAULT 0,
  sealed_at   timestamptz
);
INSERT INTO auditql.ledger_state DEFAULT VALUES;

-- Signed checkpoints: the C2SP signed note (tlog-checkpoint) in `note`; the other columns repeat what it
-- says, for queries. Appended, never rewritten.
CREATE TABLE auditql.ledger_checkpoints (
  tree_size  bigint      PRIMARY KEY,
  root_hash  bytea       NOT NULL,
  last_seq   bigint      NOT NULL,
  sealed_at  timestamptz NOT NULL,
  key_name   text        NOT NULL,
  key_id     text        NOT NULL,
  note       text        NOT NULL
);

-- Signed retention events: a dropped partition's leaves (its table's kind and part_at range), how many,
-- their seq range and the Merkle root of their leaf hashes in seq order. Verification accepts exactly
-- those leaves as missing and nothing else.
CREATE TABLE auditql.ledger_retention (
  id            bigserial   PRIMARY KEY,
  kind          smallint    NOT NULL,
  partition_name text       NOT NULL,
  range_from    timestamptz NOT NULL,
  range_to      timestamptz NOT NULL,
  leaf_count    bigint      NOT NULL,
  seq_min       bigint,
  seq_max       bigint,
  removed_root  bytea       NOT NULL,
  tree_size     bigint      NOT NULL,
  removed_at    timestamptz NOT NULL DEFAULT now(),
  key_id        text        NOT NULL,
  note          text        NOT NULL
);

-- Feed sequence numbers come only from these two functions, which take the sink's lock FEED_LOCK
-- (src/warehouse/sink.ts) first: a seq is always allocated under it, so seqs grow in commit order even for
-- a writer that forgot the lock, and the writer role can no longer call nextval itself.
CREATE FUNCTION auditql.allocate_seqs(n integer) RETURNS SETOF bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7411000);
  RETURN QUERY SELECT s FROM (SELECT nextval('auditql.feed_seq') AS s FROM generate_series(1, n)) x ORDER BY s;
END $$;
-- Called once per row (attribution's INSERT … SELECT): no SET clause, every name qualified instead.
CREATE FUNCTION auditql.next_seq() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  PERFORM pg_catalog.pg_advisory_xact_lock(7411000::bigint);
  RETURN pg_catalog.nextval('auditql.feed_seq'::pg_catalog.regclass);
END $$;
REVOKE ALL ON FUNCTION auditql.allocate_seqs(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION auditql.next_seq() FROM PUBLIC;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_writer') THEN
    GRANT EXECUTE ON FUNCTION auditql.allocate_seqs(integer), auditql.next_seq() TO auditql_writer;
    -- SELECT stays (currval: the highest seq this session allocated, which bounds an append)
    REVOKE USAGE, UPDATE ON SEQUENCE auditql.feed_seq FROM auditql_writer;
    GRANT SELECT ON SEQUENCE auditql.feed_seq TO auditql_writer;
    GRANT UPDATE ON auditql.ledger_state TO auditql_writer;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_reader') THEN
    GRANT SELECT ON auditql.ledger_leaves, auditql.ledger_nodes, auditql.ledger_state, auditql.ledger_checkpoints,
      auditql.ledger_retention TO auditql_reader;
  END IF;
END $$;
