-- MySQL sources, created once when the data directory is first initialised (official image:
-- /docker-entrypoint-initdb.d). Two databases so that each change is captured once:
--   shop  -> Maxwell's Daemon  -> topic `maxwell`
--   crm   -> Debezium MySQL    -> topics `mysqlserver1.crm.*` (and schema changes on `mysqlserver1`)

CREATE DATABASE IF NOT EXISTS shop;
CREATE TABLE shop.products (
  sku    VARCHAR(32) PRIMARY KEY,
  name   VARCHAR(200) NOT NULL,
  price  DECIMAL(10, 2) NOT NULL
);
CREATE TABLE shop.order_lines (
  order_id  BIGINT NOT NULL,
  line_no   INT NOT NULL,
  sku       VARCHAR(32) NOT NULL,
  qty       INT NOT NULL,
  PRIMARY KEY (order_id, line_no)
);

CREATE DATABASE IF NOT EXISTS crm;
CREATE TABLE crm.contacts (
  contact_id  BIGINT AUTO_INCREMENT PRIMARY KEY,
  email       VARCHAR(200) NOT NULL UNIQUE,
  phone       VARCHAR(40),
  updated_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
);

-- Maxwell: its own schema database plus replication (Maxwell docs, quickstart.md "Mysql permissions").
-- mysql_native_password: accepted by MySQL 8.0 (disabled by default from 8.4) and by Maxwell's and
-- Debezium's JDBC drivers without TLS or public-key retrieval.
CREATE USER 'maxwell'@'%' IDENTIFIED WITH mysql_native_password BY 'maxwell';
GRANT ALL ON maxwell.* TO 'maxwell'@'%';
GRANT SELECT, REPLICATION CLIENT, REPLICATION SLAVE ON *.* TO 'maxwell'@'%';

-- Debezium (Debezium MySQL docs, "Creating a user"): RELOAD and SHOW DATABASES for the snapshot,
-- REPLICATION SLAVE/CLIENT for the binlog.
CREATE USER 'debezium'@'%' IDENTIFIED WITH mysql_native_password BY 'dbz';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'debezium'@'%';

-- An application login, so row changes come from a named user.
CREATE USER 'shop_app'@'%' IDENTIFIED WITH mysql_native_password BY 'app';
GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'shop_app'@'%';
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.* TO 'shop_app'@'%';

INSERT INTO shop.products VALUES ('AB-1', 'Anvil', 99.50), ('CD-2', 'Rope', 12.25);
INSERT INTO crm.contacts (email, phone) VALUES ('carol@example.com', '+1 555 0100');
