/** `SOURCE` (EXACT): the user the change itself carries (`Origin.user`, e.g. Debezium's Oracle connector). */
import type pg from 'pg';

const SQL = `
INSERT INTO auditql.attributions (seq, change_seq, evidence, confidence, db_user, detail)
SELECT nextval('auditql.feed_seq'), c.seq, 'SOURCE', 'EXACT', c.source_user,
       jsonb_build_object('match', 'SOURCE', 'format', c.format)
FROM auditql.changes c
WHERE c.seq = ANY($1::bigint[]) AND c.source_user IS NOT NULL
ORDER BY c.seq
ON CONFLICT DO NOTHING`;

/** Settle SOURCE for newly stored changes; returns the rows added. */
export async function settleSourceEvidence(client: pg.PoolClient, changeSeqs: readonly string[]): Promise<number> {
  const r = await client.query(SQL, [changeSeqs]);
  return r.rowCount ?? 0;
}
