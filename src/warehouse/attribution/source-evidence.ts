/**
 * `SOURCE` (EXACT): the user the change itself carries (`Origin.user`, e.g. Debezium's Oracle connector) —
 * always settled with the change itself.
 */
import type pg from 'pg';
import { newRows, type BatchScope } from './scope.js';

const SQL = `
INSERT INTO auditql.attributions (seq, change_seq, evidence, confidence, db_user, settled_with_change, detail)
SELECT auditql.next_seq(), c.seq, 'SOURCE', 'EXACT', c.source_user, true,
       jsonb_build_object('match', 'SOURCE', 'format', c.format)
FROM auditql.changes c
WHERE ${newRows('c', '$1', '$2', '$3', '$4')} AND c.source_user IS NOT NULL
ORDER BY c.seq
ON CONFLICT DO NOTHING`;

/** Settle SOURCE for a batch's new changes; returns the rows added. */
export async function settleSourceEvidence(client: pg.PoolClient, b: BatchScope): Promise<number> {
  const r = await client.query({ name: 'auditql_settle_source', text: SQL, values: [b.change.min, b.change.max, b.newFirst, b.newLast] });
  return r.rowCount ?? 0;
}
