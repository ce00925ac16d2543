-- Forwarder cursors (docs/siem.md "Delivery"): one row per `auditql forward --name`, the feed seq up to
-- which its destination acknowledged every matching event. Advanced only after an acknowledgement, so a
-- restart sends exactly what was not acknowledged. Not audit data: a cursor row is updated in place.
CREATE TABLE IF NOT EXISTS auditql.forwarders (
    name          text PRIMARY KEY,
    destination   text NOT NULL,
    format        text NOT NULL,
    acked_seq     int8 NOT NULL DEFAULT 0,
    acked_events  int8 NOT NULL DEFAULT 0,
    acked_at      timestamptz,
    last_error    text,
    last_error_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auditql_writer') THEN
        GRANT UPDATE ON auditql.forwarders TO auditql_writer;
    END IF;
END
$$;
