/**
 * `ACTIVITY_SESSION` (always PROBABLE): an activity event from the change's connection — MySQL thread /
 * connection id (Debezium `source.thread`, Maxwell `thread_id`) against the activity's `sessionId`; a
 * PostgreSQL backend pid against the activity's `pid` — on the same server, a write (or, for a TRUNCATE,
 * DDL) whose object is the changed table, within `session_window` of the commit time. Both directions: new
 * changes look for stored activity, new activity for stored changes. Per change, one row per distinct
 * identity (the nearest statement in time); idempotent.
 */
import type pg from 'pg';
import { newRows, settledWithChange, type BatchScope } from './scope.js';
import { changeExtraSql } from '../source-blocks.js';

const WITH_CHANGE = settledWithChange('p.change_seq');

const ACTIVITY_FIELDS = `a.seq, a.class, a.db_user, a.remote_host, a.client_application, a.part_at AS at,
  auditql.activity_object_keys(a.object_name, a.database_name) AS objects`;

const SQL = `
WITH settings AS (
  SELECT coalesce((SELECT session_window FROM auditql.attribution_settings), interval '5 seconds') AS w
),
new_change AS MATERIALIZED (
  SELECT c.seq, c.server, c.connection, c.part_at, c.operation,
         auditql.change_object_keys(c.database_name, c.schema_name, c.table_name) AS objects,
         auditql.tx_namespace(c.format, ${changeExtraSql('c')}) = 'postgresql' AS pg
  FROM auditql.changes c
  WHERE ${newRows('c', '$1', '$2', '$5', '$6')}
    AND c.connection IS NOT NULL AND c.server IS NOT NULL AND c.committed_at IS NOT NULL
),
-- a server no activity of the period names with a session or a pid has nothing to correlate (one probe
-- per server, not per change; each EXISTS is a probe of a partial index: activity_session_partial, activity_pid)
active_server AS MATERIALIZED (
  SELECT s.server FROM (SELECT DISTINCT server FROM new_change) s
  WHERE EXISTS (SELECT 1 FROM auditql.activity a WHERE a.server = s.server AND a.session_id IS NOT NULL AND a.part_at BETWEEN $7::timestamptz AND $8::timestamptz)
     OR EXISTS (SELECT 1 FROM auditql.activity a WHERE a.server = s.server AND a.pid IS NOT NULL AND a.part_at BETWEEN $7::timestamptz AND $8::timestamptz)
),
new_act AS MATERIALIZED (
  SELECT a.server, a.session_id,
         CASE WHEN auditql.pid_is_connection(a.format, a.extra) THEN a.pid END AS pid, ${ACTIVITY_FIELDS},
         a.part_at - s.w AS lo, a.part_at + s.w AS hi
  FROM auditql.activity a CROSS JOIN settings s
  WHERE ${newRows('a', '$3', '$4', '$5', '$6')} AND a.server IS NOT NULL AND a.db_user IS NOT NULL
    AND coalesce(a.occurred_at, a.started_at) IS NOT NULL AND a.class IN ('WRITE', 'DDL')
    AND (a.session_id IS NOT NULL OR a.pid IS NOT NULL)
),
pair AS MATERIALIZED (
  SELECT c.seq AS change_seq, c.server, c.connection, c.part_at AS change_at, c.operation, c.objects AS change_objects,
         a.seq AS activity_seq, a.class, a.db_user, a.remote_host, a.client_application, a.at, a.objects
  FROM new_change c JOIN active_server USING (server) CROSS JOIN settings s
  CROSS JOIN LATERAL (
    SELECT ${ACTIVITY_FIELDS} FROM auditql.activity a
    WHERE a.server = c.server AND a.session_id = c.connection AND a.part_at BETWEEN c.part_at - s.w AND c.part_at + s.w
      AND a.part_at BETWEEN $7::timestamptz AND $8::timestamptz
    UNION ALL
    SELECT ${ACTIVITY_FIELDS} FROM auditql.activity a
    WHERE c.pg AND a.server = c.server AND a.pid = c.connection AND a.part_at BETWEEN c.part_at - s.w AND c.part_at + s.w
      AND a.part_at BETWEEN $7::timestamptz AND $8::timestamptz AND auditql.pid_is_connection(a.format, a.extra)
    OFFSET 0
  ) a
  UNION ALL
  SELECT c.seq, c.server, c.connection, c.part_at, c.operation,
         auditql.change_object_keys(c.database_name, c.schema_name, c.table_name),
         a.seq, a.class, a.db_user, a.remote_host, a.client_application, a.at, a.objects
  FROM new_act a
  -- a connection id is the session id, or (PostgreSQL) the backend pid: one indexed probe each
  CROSS JOIN LATERAL (VALUES (a.session_id, false), (a.pid, true)) v(connection, by_pid)
  CROSS JOIN LATERAL (
    SELECT c.* FROM auditql.changes c
    WHERE c.server = a.server AND c.connection = v.connection AND c.part_at BETWEEN a.lo AND a.hi
      AND c.part_at BETWEEN $7::timestamptz AND $8::timestamptz AND c.committed_at IS NOT NULL
      AND (NOT v.by_pid OR auditql.tx_namespace(c.format, ${changeExtraSql('c')}) = 'postgresql')
    OFFSET 0 -- an indexed probe per connection, never a hash join over every change of the server
  ) c
  WHERE v.connection IS NOT NULL
),
candidate AS MATERIALIZED (
  SELECT DISTINCT ON (p.change_seq, p.db_user, p.remote_host, p.client_application) p.*
  FROM pair p
  WHERE p.db_user IS NOT NULL
    AND (p.class = 'WRITE' OR (p.class = 'DDL' AND p.operation = 'TRUNCATE'))
    AND p.objects && p.change_objects
  ORDER BY p.change_seq, p.db_user, p.remote_host, p.client_application,
           abs(extract(epoch FROM p.at - p.change_at)), p.activity_seq
)
INSERT INTO auditql.attributions (seq, change_seq, evidence, confidence, db_user, remote_host, client_application, activity_seq, settled_with_change, detail)
SELECT auditql.next_seq(), p.change_seq, 'ACTIVITY_SESSION', 'PROBABLE', p.db_user, p.remote_host,
       p.client_application, p.activity_seq, ${WITH_CHANGE},
       jsonb_build_object('match', 'SESSION', 'server', p.server, 'connection', p.connection,
                          'deltaMs', round(extract(epoch FROM p.at - p.change_at) * 1000)::bigint,
                          'windowMs', round(extract(epoch FROM (SELECT w FROM settings)) * 1000)::bigint)
FROM candidate p
WHERE NOT EXISTS (
  SELECT 1 FROM auditql.attributions x
  WHERE x.change_seq = p.change_seq AND x.evidence = 'ACTIVITY_SESSION'
    AND x.db_user IS NOT DISTINCT FROM p.db_user AND x.remote_host IS NOT DISTINCT FROM p.remote_host
    AND x.client_application IS NOT DISTINCT FROM p.client_application)
ORDER BY p.change_seq
ON CONFLICT DO NOTHING`;

/** Settle ACTIVITY_SESSION for a batch's new changes and activity; returns the rows added. */
export async function settleSessionEvidence(client: pg.PoolClient, b: BatchScope): Promise<number> {
  const r = await client.query({ name: 'auditql_settle_session', text: SQL, values: [
    b.change.min, b.change.max, b.activity.min, b.activity.max, b.newFirst, b.newLast, b.sessionLo, b.sessionHi,
  ] });
  return r.rowCount ?? 0;
}
