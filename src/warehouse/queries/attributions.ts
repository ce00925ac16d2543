/**
 * Attribution evidence for a set of changes (auditql.attributions, DESIGN.md "Attribution"), best first
 * per change: by evidence (APP_CONTEXT, ACTIVITY_TX, ACTIVITY_SESSION, SOURCE), then EXACT before
 * PROBABLE, then the order it was recorded in. One statement for any number of changes.
 */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';
import type { JsonRow } from '../../model/json.js';

export interface AttributionRecord {
  readonly seq: string;
  readonly changeSeq: string;
  readonly evidence: string;
  readonly confidence: string;
  readonly dbUser: string | null;
  readonly appUser: string | null;
  readonly remoteHost: string | null;
  readonly clientApplication: string | null;
  readonly activitySeq: string | null;
  readonly contextSeq: string | null;
  readonly detail: JsonRow;
  readonly createdAt: Date;
}

export const EVIDENCE_RANK = ['APP_CONTEXT', 'ACTIVITY_TX', 'ACTIVITY_SESSION', 'SOURCE'] as const;

export async function attributionsForChanges(db: Kysely<Warehouse>, changeSeqs: readonly string[]): Promise<AttributionRecord[]> {
  if (changeSeqs.length === 0) return [];
  const r = await sql<AttributionRecord>`select at.seq as "seq", at.change_seq as "changeSeq",
      at.evidence as "evidence", at.confidence as "confidence", at.db_user as "dbUser", at.app_user as "appUser",
      at.remote_host as "remoteHost", at.client_application as "clientApplication",
      at.activity_seq as "activitySeq", at.context_seq as "contextSeq", at.detail as "detail",
      at.created_at as "createdAt"
    from auditql.attributions at
    where at.change_seq = any(${[...changeSeqs]}::bigint[])
    order by at.change_seq,
      coalesce(array_position(${[...EVIDENCE_RANK]}::text[], at.evidence), 99),
      (at.confidence <> 'EXACT'), at.seq`.execute(db);
  return r.rows;
}
