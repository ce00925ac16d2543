/**
 * Attribution ("who", DESIGN.md): settled inside the sink's transaction whenever new changes, activity or
 * context arrive, in either order. Version 1 (this file) records evidence the change itself carries
 * (`SOURCE`); the joins to activity and context land with issue #6.
 */
import type pg from 'pg';
import type { StoredSeqs } from './sink.js';

export async function settleAttribution(client: pg.PoolClient, seqs: StoredSeqs): Promise<void> {
  if (seqs.change.length === 0) return;
  await client.query(
    `INSERT INTO auditql.attributions (seq, change_seq, evidence, confidence, db_user)
     SELECT nextval('auditql.feed_seq'), c.seq, 'SOURCE', 'EXACT', c.source_user
     FROM auditql.changes c WHERE c.seq = ANY($1::bigint[]) AND c.source_user IS NOT NULL
     ON CONFLICT DO NOTHING`,
    [seqs.change],
  );
}
