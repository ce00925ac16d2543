-- auditql warehouse: writers side by side (docs/warehouse.md "Ordering: `seq`"). Sink transactions no longer
-- take one warehouse-wide lock until commit. Instead each writing transaction holds an in-flight marker, and
-- readers follow the feed only up to a watermark below which no marked transaction is still in flight.
--
-- Marker: an advisory transaction lock on the bigint key MARKER_TAG + s0, where s0 is a feed_seq number
-- drawn before any of the transaction's rows (it carries no row, so every row seq of the transaction is
-- above it). MARKER_TAG is 2^62: far from auditql's own small constant keys. PostgreSQL shows a bigint
-- advisory key in pg_locks as classid = high 32 bits, objid = low 32 bits, objsubid = 1.
--
-- feed_seq must keep CACHE 1 (its default): the watermark reads the sequence's last_value as "every number
-- at or below this was handed out", which a per-session cache would break.

-- Draw the marker (once per transaction; the second call returns the first marker). The marker is kept
-- in a transaction-local setting, so it is gone with the transaction, or with a rolled back savepoint
-- together with its lock.
CREATE FUNCTION auditql.begin_feed_write() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s0 bigint := nullif(current_setting('auditql.feed_marker', true), '')::bigint;
BEGIN
  IF s0 IS NULL THEN
    s0 := nextval('auditql.feed_seq');
    PERFORM pg_advisory_xact_lock(4611686018427387904 + s0);
    PERFORM set_config('auditql.feed_marker', s0::text, true);
  END IF;
  RETURN s0;
END $$;

-- Feed sequence numbers still come only from allocate_seqs and next_seq. Both make sure the transaction
-- holds its marker first and that every number they hand out lies above it (a forged setting cannot
-- put rows at or below the watermark while they are in flight). allocate_seqs hands out one contiguous
-- block: a short session lock (held only while the numbers are drawn, not until commit) keeps other
-- blocks from interleaving (markers and attribution's next_seq may, but they are no rows of these tables), so the rows of one batch's table hold no other row of that table between their
-- smallest and largest seq (attribution's scope relies on it, src/warehouse/attribution/scope.ts).
CREATE OR REPLACE FUNCTION auditql.allocate_seqs(n integer) RETURNS SETOF bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s0 bigint := auditql.begin_feed_write();
  got bigint[];
BEGIN
  PERFORM pg_advisory_xact_lock(4611686018427387904 + s0);
  BEGIN
    PERFORM pg_advisory_lock(7411003);
    got := ARRAY(SELECT nextval('auditql.feed_seq') FROM generate_series(1, n));
  EXCEPTION WHEN OTHERS OR query_canceled THEN
    PERFORM pg_advisory_unlock(7411003);
    RAISE;
  END;
  PERFORM pg_advisory_unlock(7411003);
  IF n > 0 AND got[1] <= s0 THEN
    RAISE EXCEPTION 'auditql: feed seq % not above the transaction''s marker %', got[1], s0;
  END IF;
  RETURN QUERY SELECT s FROM unnest(got) s ORDER BY s;
END $$;

-- Called once per row (attribution's INSERT … SELECT): no SET clause, every name qualified instead.
CREATE OR REPLACE FUNCTION auditql.next_seq() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  s0 bigint := auditql.begin_feed_write();
  s bigint;
BEGIN
  PERFORM pg_catalog.pg_advisory_xact_lock(4611686018427387904 + s0);
  s := pg_catalog.nextval('auditql.feed_seq'::pg_catalog.regclass);
  IF s <= s0 THEN
    RAISE EXCEPTION 'auditql: feed seq % not above the transaction''s marker %', s, s0;
  END IF;
  RETURN s;
END $$;

-- The writing transactions in flight in this database: their marker and backend.
CREATE FUNCTION auditql.feed_writers() RETURNS TABLE (marker bigint, pid integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT ((l.classid::int8 - 1073741824) << 32) + l.objid::int8, l.pid
  FROM pg_locks l
  WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted AND l.mode = 'ExclusiveLock'
    AND l.classid::int8 >= 1073741824 AND l.classid::int8 < 2147483648
    AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
$$;

-- The watermark: every row with seq <= head is committed (visible to the caller's next statement) or
-- will never exist. L (the sequence) is read first, then the markers: a row seq <= L was drawn before L
-- was read, so its transaction already held its marker, and if still in flight shows below.
CREATE FUNCTION auditql.feed_head() RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  l bigint;
  m bigint;
BEGIN
  SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO l FROM auditql.feed_seq;
  SELECT min(w.marker) INTO m FROM auditql.feed_writers() w;
  RETURN CASE WHEN m IS NULL THEN l ELSE least(l, m - 1) END;
END $$;

-- For operators: the watermark, the sequence, how many writers are in flight and since when the oldest
-- of them has been open (null when none is, or when this function's owner may not read other sessions'
-- activity).
CREATE FUNCTION auditql.feed_watermark(OUT head bigint, OUT allocated bigint, OUT writers integer, OUT oldest_writer_since timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO allocated FROM auditql.feed_seq;
  head := auditql.feed_head();
  SELECT count(*), min(a.xact_start) INTO writers, oldest_writer_since
  FROM auditql.feed_writers() w LEFT JOIN pg_stat_activity a ON a.pid = w.pid;
END $$;

-- Per-stream order and idempotency: a sink transaction locks each (source, stream) it writes, in one
-- order (sorted, duplicates once), before its probe. Two-int4 advisory keys (class 7411006, the stream's
-- hash), a key space apart from the bigint keys above; two streams sharing a hash merely take turns.
CREATE FUNCTION auditql.lock_streams(source text, streams text[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  k integer;
BEGIN
  FOR k IN SELECT DISTINCT hashtext(source || chr(31) || s) AS h FROM unnest(streams) s ORDER BY h LOOP
    PERFORM pg_advisory_xact_lock(7411006, k);
  END LOOP;
END $$;

REVOKE ALL ON FUNCTION auditql.begin_feed_write(), auditql.feed_writers(), auditql.feed_head(), auditql.feed_watermark() FROM PUBLIC;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_writer') THEN
    GRANT EXECUTE ON FUNCTION auditql.begin_feed_write(), auditql.feed_head(), auditql.feed_watermark(),
      auditql.lock_streams(text, text[]) TO auditql_writer;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_reader') THEN
    GRANT EXECUTE ON FUNCTION auditql.feed_head(), auditql.feed_watermark() TO auditql_reader;
  END IF;
END $$;
