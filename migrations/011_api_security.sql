-- API authentication and the audit of the auditors (docs/security.md).
--
-- api_keys: service-account keys. Only a scrypt hash of each key's secret is stored; `key_id` is the public
-- half of the key (`aqk_<key_id>_<secret>`) used to find the row. Revoking sets `revoked_at` (the row stays:
-- the access records name it). At most one live key per name.
CREATE TABLE auditql.api_keys (
  key_id       text PRIMARY KEY,
  name         text NOT NULL,
  role         text NOT NULL,
  secret_hash  text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE UNIQUE INDEX api_keys_live_name ON auditql.api_keys (name) WHERE revoked_at IS NULL;

-- api_access: every API operation (HTTP request, subscription start and end, refusal), append-only. `seq`
-- is the feed order of `Query.apiAccess` and `Subscription.apiAccessAdded`.
CREATE TABLE auditql.api_access (
  seq            bigserial PRIMARY KEY,
  at             timestamptz NOT NULL,
  principal      text,
  role           text,
  auth_kind      text,
  client_address text,
  transport      text NOT NULL,
  event          text NOT NULL,
  operation_type text,
  operation_name text,
  document_hash  text,
  variables      jsonb,
  rows_returned  integer,
  decision       text NOT NULL,
  reason         text,
  duration_ms    double precision
);
CREATE INDEX api_access_principal ON auditql.api_access (principal, seq);
CREATE INDEX api_access_at ON auditql.api_access (at);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_reader') THEN
    -- the API records its own operations and when each key was last used; nothing else it can write
    GRANT SELECT ON auditql.api_keys, auditql.api_access TO auditql_reader;
    GRANT UPDATE (last_used_at) ON auditql.api_keys TO auditql_reader;
    GRANT INSERT ON auditql.api_access TO auditql_reader;
    GRANT USAGE ON SEQUENCE auditql.api_access_seq_seq TO auditql_reader;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_writer') THEN
    -- ingest has no business with keys or access records (default privileges gave it SELECT, INSERT)
    REVOKE ALL ON auditql.api_keys, auditql.api_access FROM auditql_writer;
    REVOKE ALL ON SEQUENCE auditql.api_access_seq_seq FROM auditql_writer;
  END IF;
END $$;
