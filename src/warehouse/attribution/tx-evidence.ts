/**
 * `APP_CONTEXT` and `ACTIVITY_TX`: evidence that names the change's own transaction (same transaction id,
 * same server). Both directions in one statement: whatever just arrived — changes, activity or context —
 * names the transactions it belongs to, and every change of those transactions is matched against every
 * piece of context and activity the warehouse holds for them. Re-running it adds nothing (idempotent), so
 * the order evidence arrives in does not matter.
 *
 * - Server: both sides must name the same, non-null server (`--server` makes sources agree); a null
 *   server never matches, since two unnamed servers are not known to be one.
 * - Transaction ids are compared only within one numbering (`auditql.tx_namespace`, migrations/003).
 * - pgAudit entries logged before their transaction had an xid join it through an entry of the same
 *   session with the same vxid that has one (`via: VXID` in the detail).
 * - When both times are known, the evidence must lie within `tx_window` of the commit (32-bit xids wrap).
 * - ACTIVITY_TX: per change, one row per distinct identity (db user, client host, application); the
 *   statement that touched the changed table is preferred (`quality`: 2 same table + 1 a write), and a
 *   better statement arriving later adds a row. Activity without a database user is no evidence of who.
 */
import type pg from 'pg';
import { DB_CONTEXT_SOURCE } from './evidence.js';
import { newRows, settledWithChange, type BatchScope } from './scope.js';
import { changeExtraSql } from '../source-blocks.js';

const WITH_CHANGE = settledWithChange('p.change_seq');

/**
 * Rows of a time-partitioned table (`alias` over `from`) matching `on` whose `part_at` lies in [lo, hi],
 * plus those stored at the epoch (time unknown) when the range does not already cover it. Two arms, so
 * each prunes to its partitions: at plan time to the batch's bounds ($8, $9: BatchScope.txLo/txHi), at run
 * time to the row's own range, so a warehouse with months of daily partitions probes the few days a
 * transaction can lie in. `OFFSET 0` keeps PostgreSQL from flattening the LATERAL subquery into a hash
 * join over whole tables when its estimates for a batch are low.
 */
const bounded = (select: string, from: string, alias: string, on: string, lo: string, hi: string) => `
    SELECT ${select} FROM ${from} WHERE ${on} AND ${alias}.part_at BETWEEN ${lo} AND ${hi}
      AND ${alias}.part_at BETWEEN $8::timestamptz AND $9::timestamptz
    UNION ALL
    SELECT ${select} FROM ${from} WHERE ${on} AND ${alias}.part_at = timestamptz 'epoch' AND ${lo} > timestamptz 'epoch'
    OFFSET 0`;

const ACT_COLUMNS = `a.seq, a.server, a.tx_id, a.class, a.db_user, a.remote_host, a.client_application,
         coalesce(a.occurred_at, a.started_at) AS at, auditql.tx_namespace(a.format, a.extra) AS ns,
         auditql.activity_object_keys(a.object_name, a.database_name) AS objects,
         coalesce(a.session_id, a.pid) AS sess, a.extra->>'vxid' AS vxid`;

// Time ranges: evidence must lie within w of the commit, so a transaction's changes lie within w of any of
// its evidence, and its other statements within 2w.
const SQL = `
WITH settings AS (
  SELECT coalesce((SELECT tx_window FROM auditql.attribution_settings), interval '1 day') AS w
),
new_act AS MATERIALIZED (
  SELECT a.server, a.tx_id, coalesce(a.session_id, a.pid) AS sess, a.extra->>'vxid' AS vxid,
         coalesce(a.occurred_at, a.started_at) AS at,
         coalesce(coalesce(a.occurred_at, a.started_at) - 2 * s.w, timestamptz '-infinity') AS lo,
         coalesce(coalesce(a.occurred_at, a.started_at) + 2 * s.w, timestamptz 'infinity') AS hi
  FROM auditql.activity a CROSS JOIN settings s WHERE ${newRows('a', '$3', '$4', '$6', '$7')} AND a.server IS NOT NULL
),
-- a new entry logged before its transaction had an xid: its transaction, through a sibling that has one
sibling AS MATERIALIZED (
  SELECT DISTINCT n.server, b.tx_id, n.at FROM new_act n
  CROSS JOIN LATERAL (${bounded('b.tx_id', 'auditql.activity b', 'b',
    `b.server = n.server AND coalesce(b.session_id, b.pid) = n.sess AND b.extra ? 'vxid' AND b.extra->>'vxid' = n.vxid
     AND b.tx_id IS NOT NULL`, 'n.lo', 'n.hi')}) b
  WHERE n.tx_id IS NULL AND n.vxid IS NOT NULL AND n.sess IS NOT NULL
),
keys AS MATERIALIZED (
  SELECT u.server, u.tx_id,
         CASE WHEN bool_or(u.at IS NULL) THEN timestamptz '-infinity' ELSE min(u.at) - s.w END AS lo,
         CASE WHEN bool_or(u.at IS NULL) THEN timestamptz 'infinity' ELSE max(u.at) + s.w END AS hi,
         CASE WHEN bool_or(u.at IS NULL) THEN timestamptz '-infinity' ELSE min(u.at) - 2 * s.w END AS alo,
         CASE WHEN bool_or(u.at IS NULL) THEN timestamptz 'infinity' ELSE max(u.at) + 2 * s.w END AS ahi
  FROM (
    SELECT c.server, c.tx_id, c.committed_at AS at FROM auditql.changes c
    WHERE ${newRows('c', '$1', '$2', '$6', '$7')} AND c.tx_id IS NOT NULL AND c.server IS NOT NULL
    UNION ALL
    SELECT n.server, n.tx_id, n.at FROM new_act n WHERE n.tx_id IS NOT NULL
    UNION ALL
    SELECT server, tx_id, at FROM sibling
    UNION ALL
    SELECT x.server, x.tx_id, x.occurred_at FROM auditql.contexts x
    WHERE x.seq = ANY($5::bigint[]) AND x.tx_id IS NOT NULL AND x.server IS NOT NULL
  ) u CROSS JOIN settings s
  GROUP BY u.server, u.tx_id, s.w
),
direct_act AS MATERIALIZED (
  SELECT a.* FROM keys k
  CROSS JOIN LATERAL (${bounded(ACT_COLUMNS, 'auditql.activity a', 'a', 'a.tx_id = k.tx_id AND a.server = k.server', 'k.alo', 'k.ahi')}) a
),
tx_context AS MATERIALIZED (
  SELECT x.seq, x.server, x.tx_id, x.app_user, x.content, x.occurred_at
  FROM keys k JOIN auditql.contexts x ON x.tx_id = k.tx_id AND x.server = k.server
  WHERE x.transactional
),
-- Only transactions with some evidence need their changes read (a change stream without activity or
-- context costs one index probe per transaction here, nothing more).
evidence_keys AS MATERIALIZED (
  SELECT k.* FROM keys k
  JOIN (SELECT server, tx_id FROM direct_act UNION SELECT server, tx_id FROM tx_context) e
    ON e.server = k.server AND e.tx_id = k.tx_id
),
tx_change AS MATERIALIZED (
  SELECT c.* FROM evidence_keys k
  CROSS JOIN LATERAL (${bounded(`c.seq, c.server, c.tx_id, c.committed_at, auditql.tx_namespace(c.format, ${changeExtraSql('c')}) AS ns,
         auditql.change_object_keys(c.database_name, c.schema_name, c.table_name) AS objects`,
    'auditql.changes c', 'c', 'c.tx_id = k.tx_id AND c.server = k.server', 'k.lo', 'k.hi')}) c
),
linked_act AS MATERIALIZED (
  SELECT b.seq, d.server, d.tx_id, b.class, b.db_user, b.remote_host, b.client_application, b.at, d.ns, b.objects
  FROM (SELECT server, tx_id, ns, sess, vxid,
               coalesce(min(at) - (SELECT w FROM settings), timestamptz '-infinity') AS lo,
               coalesce(max(at) + (SELECT w FROM settings), timestamptz 'infinity') AS hi
        FROM direct_act WHERE vxid IS NOT NULL AND sess IS NOT NULL
        GROUP BY server, tx_id, ns, sess, vxid) d
  CROSS JOIN LATERAL (${bounded(ACT_COLUMNS.replace(/\ba\./g, 'b.'), 'auditql.activity b', 'b',
    `b.server = d.server AND coalesce(b.session_id, b.pid) = d.sess AND b.extra ? 'vxid' AND b.extra->>'vxid' = d.vxid
     AND b.tx_id IS NULL`, 'd.lo', 'd.hi')}) b
),
tx_act AS MATERIALIZED (
  SELECT seq, server, tx_id, class, db_user, remote_host, client_application, at, ns, objects, false AS via_vxid FROM direct_act
  UNION ALL
  SELECT seq, server, tx_id, class, db_user, remote_host, client_application, at, ns, objects, true FROM linked_act
),
tx_commit AS MATERIALIZED (
  SELECT DISTINCT server, tx_id, ns, committed_at FROM tx_change
),
stmt AS MATERIALIZED (
  SELECT t.server, t.tx_id, t.ns, t.committed_at, a.db_user, a.remote_host, a.client_application, a.objects,
         a.class = 'WRITE' AS is_write, min(a.seq) AS activity_seq, bool_and(a.via_vxid) AS via_vxid
  FROM tx_commit t CROSS JOIN settings s
  JOIN tx_act a ON a.server = t.server AND a.tx_id = t.tx_id AND a.ns = t.ns
  WHERE a.db_user IS NOT NULL
    AND (t.committed_at IS NULL OR a.at IS NULL OR a.at BETWEEN t.committed_at - s.w AND t.committed_at + s.w)
  GROUP BY t.server, t.tx_id, t.ns, t.committed_at, a.db_user, a.remote_host, a.client_application, a.objects, a.class = 'WRITE'
),
candidate AS MATERIALIZED (
  SELECT DISTINCT ON (c.seq, st.db_user, st.remote_host, st.client_application)
         c.seq AS change_seq, st.server, st.tx_id, st.db_user, st.remote_host, st.client_application,
         st.activity_seq, st.via_vxid,
         (CASE WHEN st.objects && c.objects THEN 2 ELSE 0 END) + (CASE WHEN st.is_write THEN 1 ELSE 0 END) AS quality
  FROM tx_change c
  JOIN stmt st ON st.server = c.server AND st.tx_id = c.tx_id AND st.ns = c.ns
    AND st.committed_at IS NOT DISTINCT FROM c.committed_at
  ORDER BY c.seq, st.db_user, st.remote_host, st.client_application, quality DESC, st.activity_seq
),
context_pair AS MATERIALIZED (
  SELECT c.seq AS change_seq, x.seq AS context_seq, x.server, x.tx_id, x.app_user, x.content
  FROM tx_change c CROSS JOIN settings s
  JOIN tx_context x ON x.tx_id = c.tx_id AND x.server = c.server
  WHERE (c.committed_at IS NULL OR x.occurred_at IS NULL OR x.occurred_at BETWEEN c.committed_at - s.w AND c.committed_at + s.w)
),
ins_context AS (
  INSERT INTO auditql.attributions (seq, change_seq, evidence, confidence, app_user, context_seq, settled_with_change, detail)
  SELECT auditql.next_seq(), p.change_seq, 'APP_CONTEXT', 'EXACT', p.app_user, p.context_seq, ${WITH_CHANGE},
         jsonb_build_object('match', 'TX', 'server', p.server, 'txId', p.tx_id, 'context', p.content)
  FROM context_pair p
  WHERE p.content->>'source' IS DISTINCT FROM '${DB_CONTEXT_SOURCE}'
  ORDER BY p.change_seq, p.context_seq
  ON CONFLICT DO NOTHING
  RETURNING 1
),
ins_db_context AS (
  INSERT INTO auditql.attributions (seq, change_seq, evidence, confidence, db_user, remote_host, client_application, context_seq, settled_with_change, detail)
  SELECT auditql.next_seq(), p.change_seq, 'DB_CONTEXT', 'EXACT', p.content->>'dbUser', p.content->>'clientAddr',
         p.content->>'applicationName', p.context_seq, ${WITH_CHANGE},
         jsonb_build_object('match', 'TX', 'server', p.server, 'txId', p.tx_id, 'context', p.content)
  FROM context_pair p
  WHERE p.content->>'source' = '${DB_CONTEXT_SOURCE}'
  ORDER BY p.change_seq, p.context_seq
  ON CONFLICT DO NOTHING
  RETURNING 1
),
ins_activity AS (
  INSERT INTO auditql.attributions (seq, change_seq, evidence, confidence, db_user, remote_host, client_application, activity_seq, settled_with_change, detail)
  SELECT auditql.next_seq(), p.change_seq, 'ACTIVITY_TX', 'EXACT', p.db_user, p.remote_host, p.client_application,
         p.activity_seq, ${WITH_CHANGE},
         jsonb_build_object('match', 'TX', 'server', p.server, 'txId', p.tx_id,
                            'via', CASE WHEN p.via_vxid THEN 'VXID' ELSE 'TX_ID' END,
                            'sameTable', p.quality >= 2, 'quality', p.quality)
  FROM candidate p
  WHERE NOT EXISTS (
    SELECT 1 FROM auditql.attributions x
    WHERE x.change_seq = p.change_seq AND x.evidence = 'ACTIVITY_TX'
      AND x.db_user IS NOT DISTINCT FROM p.db_user AND x.remote_host IS NOT DISTINCT FROM p.remote_host
      AND x.client_application IS NOT DISTINCT FROM p.client_application
      AND coalesce((x.detail->>'quality')::int, 0) >= p.quality)
  ORDER BY p.change_seq
  ON CONFLICT DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM ins_context)::int AS app_context, (SELECT count(*) FROM ins_db_context)::int AS db_context,
       (SELECT count(*) FROM ins_activity)::int AS activity_tx`;

export interface TxEvidenceCounts {
  readonly appContext: number;
  readonly dbContext: number;
  readonly activityTx: number;
}

/** Settle APP_CONTEXT and ACTIVITY_TX for a batch's new rows. */
export async function settleTxEvidence(client: pg.PoolClient, b: BatchScope): Promise<TxEvidenceCounts> {
  const r = await client.query<{ app_context: number; db_context: number; activity_tx: number }>({ name: 'auditql_settle_tx', text: SQL, values: [
    b.change.min, b.change.max, b.activity.min, b.activity.max, b.context, b.newFirst, b.newLast, b.txLo, b.txHi,
  ] });
  const row = r.rows[0]!;
  return { appContext: row.app_context, dbContext: row.db_context, activityTx: row.activity_tx };
}
