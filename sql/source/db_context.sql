-- auditql database-user context (docs/attribution.md "Who, without pgAudit"): a statement-level trigger
-- on the published tables of a SOURCE database that writes one transactional logical message per
-- transaction, with the context prefix (default 'auditql' below), naming the session's database user,
-- its current role, application_name, client address and port, backend pid and the command. The capture
-- (pgoutput, or Debezium as an `op: "m"` record) turns it into DB_CONTEXT evidence for every change of the
-- transaction: the database user in the change stream itself, with no pgAudit.
--
-- Once per transaction, not per row or statement: a transaction-local setting remembers what was sent,
-- and a message is sent again only when current_user changed (SET ROLE inside the transaction).
-- BEFORE the statement, so the message precedes the statement's changes in the WAL.
--
-- Install:   SELECT auditql.install_db_context('<publication>');   (auditql install-source --db-context)
-- Remove:    SELECT auditql.uninstall_db_context();                  (auditql install-source --uninstall)
--
-- Limits: a superuser can disable triggers; session_replication_role = replica skips them; it does not
-- see reads. Needs wal_level = logical.

CREATE SCHEMA IF NOT EXISTS auditql;

CREATE OR REPLACE FUNCTION auditql.send_db_context()
RETURNS trigger
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $send_db_context$
DECLARE
  sent text := txid_current()::text || ':' || current_user;
BEGIN
  IF current_setting('auditql.db_context_sent', true) IS NOT DISTINCT FROM sent THEN
    RETURN NULL;
  END IF;
  PERFORM pg_logical_emit_message(true, 'auditql', jsonb_build_object(
    'source', 'auditql-db-context',
    'dbUser', session_user::text,
    'currentUser', current_user::text,
    'applicationName', nullif(current_setting('application_name', true), ''),
    'clientAddr', host(inet_client_addr()),
    'clientPort', inet_client_port(),
    'pid', pg_backend_pid(),
    'command', TG_OP,
    'table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME
  )::text);
  PERFORM set_config('auditql.db_context_sent', sent, true);
  RETURN NULL;
END
$send_db_context$;

COMMENT ON FUNCTION auditql.send_db_context() IS
  'auditql: names the database user of the current transaction in the change stream, once per transaction';

-- (Re)create the trigger on every table of the publication; returns how many tables have it.
CREATE OR REPLACE FUNCTION auditql.install_db_context(publication text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $install_db_context$
DECLARE
  t record;
  n integer := 0;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = publication) THEN
    RAISE EXCEPTION 'auditql.install_db_context: publication "%" does not exist', publication
      USING ERRCODE = 'undefined_object';
  END IF;
  FOR t IN SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = publication LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS auditql_db_context ON %I.%I', t.schemaname, t.tablename);
    EXECUTE format('CREATE TRIGGER auditql_db_context BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I.%I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION auditql.send_db_context()', t.schemaname, t.tablename);
    n := n + 1;
  END LOOP;
  RETURN n;
END
$install_db_context$;

-- Remove the trigger from every table that has it; returns how many.
CREATE OR REPLACE FUNCTION auditql.uninstall_db_context()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $uninstall_db_context$
DECLARE
  t record;
  n integer := 0;
BEGIN
  FOR t IN SELECT tgrelid::regclass AS rel FROM pg_trigger WHERE tgname = 'auditql_db_context' AND NOT tgisinternal LOOP
    EXECUTE format('DROP TRIGGER auditql_db_context ON %s', t.rel);
    n := n + 1;
  END LOOP;
  RETURN n;
END
$uninstall_db_context$;

GRANT USAGE ON SCHEMA auditql TO PUBLIC;
GRANT EXECUTE ON FUNCTION auditql.send_db_context() TO PUBLIC;
