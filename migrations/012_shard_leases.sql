-- Shard leases (docs/sources/kinesis.md "Sharing a stream"): several ingest processes reading one stream
-- share its shards, each shard read by the process holding its lease. A lease is renewed while its shard is
-- read and taken over by another process once it expired; `finished_at` records that a closed shard (split
-- or merged away) was read to its end and everything read from it is stored, so its children may start.
-- Where a shard resumes is its checkpoint (auditql.checkpoints), written with each batch; a lease only says
-- who reads. Like the checkpoints, these rows are rewritten by ingest.
CREATE TABLE auditql.shard_leases (
  source      text        NOT NULL,
  shard       text        NOT NULL,  -- the checkpoint stream: kinesis:<stream>/<shardId>
  owner       text        NOT NULL,
  expires_at  timestamptz NOT NULL,
  finished_at timestamptz,
  PRIMARY KEY (source, shard)
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_writer') THEN
    GRANT SELECT, INSERT, UPDATE ON auditql.shard_leases TO auditql_writer;
  END IF;
END $$;
