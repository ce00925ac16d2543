-- The source database `shop` (POSTGRES_DB), captured two ways: by Debezium (Kafka Connect) and, optionally,
-- by auditql's built-in capture (compose profile `builtin-capture`). Runs once, as the superuser, when the
-- data directory is first created.

-- pgAudit must be in shared_preload_libraries (compose.yaml) before the extension can be created
-- (pgAudit README).
CREATE EXTENSION IF NOT EXISTS pgaudit;

CREATE TABLE customers (
  customer_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email        text NOT NULL UNIQUE,
  full_name    text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE products (
  sku          text PRIMARY KEY,
  name         text NOT NULL,
  price        numeric(10, 2) NOT NULL
);
CREATE TABLE orders (
  order_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id  bigint NOT NULL REFERENCES customers,
  status       text NOT NULL DEFAULT 'new',
  total        numeric(12, 2) NOT NULL DEFAULT 0,
  ordered_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE order_lines (
  order_id     bigint NOT NULL REFERENCES orders,
  line_no      int NOT NULL,
  sku          text NOT NULL REFERENCES products,
  qty          int NOT NULL,
  PRIMARY KEY (order_id, line_no)   -- a composite key: auditql never assumes a column called id
);

-- Complete before images for UPDATE and DELETE (Debezium PostgreSQL docs, "Replica identity"; with the
-- DEFAULT identity an update sends no old row and auditql stores beforeComplete = false).
ALTER TABLE customers   REPLICA IDENTITY FULL;
ALTER TABLE products    REPLICA IDENTITY FULL;
ALTER TABLE orders      REPLICA IDENTITY FULL;
ALTER TABLE order_lines REPLICA IDENTITY FULL;

INSERT INTO customers (email, full_name) VALUES ('alice@example.com', 'Alice Liddell'), ('bob@example.com', 'Bob Marley');
INSERT INTO products VALUES ('AB-1', 'Anvil', 99.50), ('CD-2', 'Rope', 12.25);

-- Debezium's login: REPLICATION for the replication connection, SELECT for the initial snapshot
-- (Debezium PostgreSQL docs, "Setting up permissions"). The publication is created here, by the superuser,
-- and the connector is told not to create one (publication.autocreate.mode=disabled in
-- connect/register-postgres.json), so the connector role needs no CREATE privilege.
CREATE ROLE debezium WITH LOGIN REPLICATION PASSWORD 'dbz';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO debezium;
CREATE PUBLICATION dbz_publication FOR ALL TABLES;

-- auditql's built-in capture (docs/sources/postgres.md, "Preparing the source"): its own role, publication
-- and (created by --create-slot) slot, so the two captures never share a slot.
CREATE ROLE auditql_capture WITH LOGIN REPLICATION PASSWORD 'capture';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO auditql_capture;
CREATE PUBLICATION auditql FOR ALL TABLES;

-- Application roles whose statements pgAudit logs: the "who" auditql joins to row changes.
CREATE ROLE shop_app WITH LOGIN PASSWORD 'app';
CREATE ROLE shop_admin WITH LOGIN PASSWORD 'admin';
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO shop_app, shop_admin;
