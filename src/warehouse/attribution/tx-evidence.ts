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

const SQL = `
WITH settings AS (
  SELECT coalesce((SELECT tx_window FROM auditql.attribution_settings), interval '1 day') AS w
),
new_act AS MATERIALIZED (
  SELECT a.server, a.tx_id, coalesce(a.session_id, a.pid) AS sess, a.extra->>'vxid' AS vxid,
         coalesce(a.occurred_at, a.started_at) AS at
  FROM auditql.activity a WHERE a.seq = ANY($2::bigint[]) AND a.server IS NOT NULL
),
keys AS MATERIALIZED (
  SELECT c.server, c.tx_id FROM auditql.changes c
  WHERE c.seq = ANY($1::bigint[]) AND c.tx_id IS NOT NULL AND c.server IS NOT NULL
  UNION
  SELECT n.server, n.tx_id FROM new_act n WHERE n.tx_id IS NOT NULL
  UNION
  SELECT b.server, b.tx_id
  FROM new_act n CROSS JOIN settings s
  JOIN auditql.activity b ON b.server = n.server AND coalesce(b.session_id, b.pid) = n.sess
    AND b.extra ? 'vxid' AND b.extra->>'vxid' = n.vxid AND b.tx_id IS NOT NULL
  WHERE n.tx_id IS NULL AND n.vxid IS NOT NULL AND n.sess IS NOT NULL
    AND (n.at IS NULL OR coalesce(b.occurred_at, b.started_at) IS NULL
         OR coalesce(b.occurred_at, b.started_at) BETWEEN n.at - s.w AND n.at + s.w)
  UNION
  SELECT x.server, x.tx_id FROM auditql.contexts x
  WHERE x.seq = ANY($3::bigint[]) AND x.tx_id IS NOT NULL AND x.server IS NOT NULL
),
direct_act AS MATERIALIZED (
  SELECT a.seq, a.server, a.tx_id, a.class, a.db_user, a.remote_host, a.client_application,
         coalesce(a.occurred_at, a.started_at) AS at, auditql.tx_namespace(a.format, a.extra) AS ns,
         auditql.activity_object_keys(a.object_name, a.database_name) AS objects,
         coalesce(a.session_id, a.pid) AS sess, a.extra->>'vxid' AS vxid
  FROM keys k JOIN auditql.activity a ON a.tx_id = k.tx_id AND a.server = k.server
),
tx_context AS MATERIALIZED (
  SELECT x.seq, x.server, x.tx_id, x.app_user, x.content, x.occurred_at
  FROM keys k JOIN auditql.contexts x ON x.tx_id = k.tx_id AND x.server = k.server
  WHERE x.transactional
),
-- Only transactions with some evidence need their changes read (a change stream without activity or
-- context costs one index probe per transaction here, nothing more).
evidence_keys AS MATERIALIZED (
  SELECT server, tx_id FROM direct_act UNION SELECT server, tx_id FROM tx_context
),
tx_change AS MATERIALIZED (
  SELECT c.seq, c.server, c.tx_id, c.committed_at, auditql.tx_namespace(c.format, c.extra) AS ns,
         auditql.change_object_keys(c.database_name, c.schema_name, c.table_name) AS objects
  FROM evidence_keys k JOIN auditql.changes c ON c.tx_id = k.tx_id AND c.server = k.server
),
linked_act AS MATERIALIZED (
  SELECT b.seq, d.server, d.tx_id, b.class, b.db_user, b.remote_host, b.client_application,
         coalesce(b.occurred_at, b.started_at) AS at, d.ns,
         auditql.activity_object_keys(b.object_name, b.database_name) AS objects
  FROM (SELECT server, tx_id, ns, sess, vxid, min(at) AS first_at, max(at) AS last_at
        FROM direct_act WHERE vxid IS NOT NULL AND sess IS NOT NULL
        GROUP BY server, tx_id, ns, sess, vxid) d
  CROSS JOIN settings s
  JOIN auditql.activity b ON b.server = d.server AND coalesce(b.session_id, b.pid) = d.sess
    AND b.extra ? 'vxid' AND b.extra->>'vxid' = d.vxid AND b.tx_id IS NULL
  WHERE d.first_at IS NULL OR coalesce(b.occurred_at, b.started_at) IS NULL
     OR coalesce(b.occurred_at, b.started_at) BETWEEN d.first_at - s.w AND d.last_at + s.w
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
  INSERT INTO auditql.attributions (seq, change_seq, evidence, confidence, app_user, context_seq, detail)
  SELECT nextval('auditql.feed_seq'), p.change_seq, 'APP_CONTEXT', 'EXACT', p.app_user, p.context_seq,
         jsonb_build_object('match', 'TX', 'server', p.server, 'txId', p.tx_id, 'context', p.content)
  FROM context_pair p
  ORDER BY p.change_seq, p.context_seq
  ON CONFLICT DO NOTHING
  RETURNING 1
),
ins_activity AS (
  INSERT INTO auditql.attributions (seq, change_seq, evidence, confidence, db_user, remote_host, client_application, activity_seq, detail)
  SELECT nextval('auditql.feed_seq'), p.change_seq, 'ACTIVITY_TX', 'EXACT', p.db_user, p.remote_host, p.client_application,
         p.activity_seq,
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
SELECT (SELECT count(*) FROM ins_context)::int AS app_context, (SELECT count(*) FROM ins_activity)::int AS activity_tx`;

export interface TxEvidenceCounts {
  readonly appContext: number;
  readonly activityTx: number;
}

/** Settle APP_CONTEXT and ACTIVITY_TX for newly stored rows (feed sequences as decimal text). */
export async function settleTxEvidence(
  client: pg.PoolClient, changeSeqs: readonly string[], activitySeqs: readonly string[], contextSeqs: readonly string[],
): Promise<TxEvidenceCounts> {
  const r = await client.query<{ app_context: number; activity_tx: number }>(SQL, [changeSeqs, activitySeqs, contextSeqs]);
  const row = r.rows[0]!;
  return { appContext: row.app_context, activityTx: row.activity_tx };
}
