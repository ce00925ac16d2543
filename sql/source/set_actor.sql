-- auditql.set_actor(actor text, context jsonb DEFAULT '{}'): tell auditql who is acting in this
-- transaction. Install on each SOURCE database (`auditql install-source`, or psql -f this file); see
-- docs/attribution.md. The one copy of this SQL: install-source runs and prints (--print) this file,
-- with its --context-prefix put in place of the default prefix quoted below.
--
--   BEGIN;
--   SELECT auditql.set_actor('alice@example.com', '{"requestId": "r-42"}');
--   UPDATE accounts SET ... ;   -- any number of statements, any tables
--   COMMIT;
--
-- Sends one transactional logical message (prefix 'auditql') per transaction: repeated calls
-- with the same arguments in the same transaction send nothing more. Needs wal_level = logical.

CREATE SCHEMA IF NOT EXISTS auditql;

CREATE OR REPLACE FUNCTION auditql.set_actor(actor text, context jsonb DEFAULT '{}'::jsonb)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $set_actor$
DECLARE
  message jsonb;
  sent text;
BEGIN
  IF context IS NOT NULL AND jsonb_typeof(context) <> 'object' THEN
    RAISE EXCEPTION 'auditql.set_actor: context must be a JSON object, not %', jsonb_typeof(context)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  message := coalesce(context, '{}'::jsonb) || jsonb_build_object('user', actor);
  -- This transaction's id (assigning one if it has none yet) + what was sent: remembered until the
  -- transaction ends (set_config(..., true) is transaction-local; a pooled connection starts clean).
  sent := txid_current()::text || ':' || md5(message::text);
  IF current_setting('auditql.set_actor_sent', true) IS NOT DISTINCT FROM sent THEN
    RETURN;
  END IF;
  PERFORM pg_logical_emit_message(true, 'auditql', message::text);
  PERFORM set_config('auditql.set_actor_sent', sent, true);
END
$set_actor$;

COMMENT ON FUNCTION auditql.set_actor(text, jsonb) IS
  'auditql: names the application user (and request context) of the current transaction, once per transaction';

GRANT USAGE ON SCHEMA auditql TO PUBLIC;
GRANT EXECUTE ON FUNCTION auditql.set_actor(text, jsonb) TO PUBLIC;
