-- Append-only access (docs/warehouse.md): the API connects with a role that can only read; ingest
-- with a role that can only insert (plus its own checkpoints). Nothing can UPDATE or DELETE audit rows
-- except the owner that runs migrations. Grant these NOLOGIN roles to your login roles:
--   CREATE ROLE auditql_api LOGIN PASSWORD '…' IN ROLE auditql_reader;
--   CREATE ROLE auditql_ingest LOGIN PASSWORD '…' IN ROLE auditql_writer;
-- Roles are cluster-wide; where the migrating role may not create roles (some managed services), the
-- roles are skipped with a NOTICE and can be created by an administrator, then this file's grants re-run.

-- Partitions are created on demand by the sink, but creating one needs ownership of the parent table:
-- this function (owned by the migrating role) does it for the writer, for the two partitioned tables only.
CREATE FUNCTION auditql.ensure_daily_partition(parent text, day date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  part text := parent || '_p' || to_char(day, 'YYYYMMDD');
BEGIN
  IF parent NOT IN ('changes', 'activity') THEN
    RAISE EXCEPTION 'not a partitioned auditql table: %', parent;
  END IF;
  IF to_regclass('auditql.' || part) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE auditql.%I PARTITION OF auditql.%I FOR VALUES FROM (%L) TO (%L)',
                 part, parent, (day::timestamp AT TIME ZONE 'UTC'), ((day + 1)::timestamp AT TIME ZONE 'UTC'));
  RETURN true;
EXCEPTION WHEN check_violation THEN
  -- the default partition already holds rows of that day: they stay there
  RETURN false;
END $$;
REVOKE ALL ON FUNCTION auditql.ensure_daily_partition(text, date) FROM PUBLIC;

DO $$
DECLARE
  may_create boolean := (SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user);
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['auditql_reader', 'auditql_writer'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      IF may_create THEN
        EXECUTE format('CREATE ROLE %I NOLOGIN', r);
      ELSE
        RAISE NOTICE 'auditql: role % not created (no CREATEROLE); create it and re-run the grants of 010_roles.sql', r;
      END IF;
    END IF;
  END LOOP;

  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_reader') THEN
    GRANT USAGE ON SCHEMA auditql TO auditql_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA auditql TO auditql_reader;
    ALTER DEFAULT PRIVILEGES IN SCHEMA auditql GRANT SELECT ON TABLES TO auditql_reader;
  END IF;

  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_writer') THEN
    GRANT USAGE ON SCHEMA auditql TO auditql_writer;
    -- SELECT: attribution joins new rows to stored evidence; INSERT: everything is appended
    GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA auditql TO auditql_writer;
    -- the only rows ingest ever rewrites: where each source resumes
    GRANT UPDATE ON auditql.checkpoints TO auditql_writer;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA auditql TO auditql_writer;
    GRANT EXECUTE ON FUNCTION auditql.ensure_daily_partition(text, date) TO auditql_writer;
    ALTER DEFAULT PRIVILEGES IN SCHEMA auditql GRANT SELECT, INSERT ON TABLES TO auditql_writer;
    ALTER DEFAULT PRIVILEGES IN SCHEMA auditql GRANT USAGE, SELECT ON SEQUENCES TO auditql_writer;
  END IF;
END $$;
