/**
 * Attribution evidence for a set of changes (auditql.attributions, docs/attribution.md), best first
 * per change: by evidence (APP_CONTEXT, DB_CONTEXT, ACTIVITY_TX, ACTIVITY_SESSION, SOURCE), then EXACT before
 * PROBABLE, then the order it was recorded in. One statement for any number of changes.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
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

export const EVIDENCE_RANK = ['APP_CONTEXT', 'DB_CONTEXT', 'ACTIVITY_TX', 'ACTIVITY_SESSION', 'SOURCE'] as const;

/**
 * The SELECT list for alias `at`, in the shape of `AttributionRecord`; `prefix` names the output columns
 * `<prefix>seq` … when they share a row with another table's (src/warehouse/queries/attribution-updates.ts).
 */
export const attributionColumns = (alias = 'at', prefix = ''): RawBuilder<unknown> => {
  const col = (column: string, name: keyof AttributionRecord) => sql`${sql.ref(`${alias}.${column}`)} as ${sql.id(prefix + name)}`;
  return sql.join([
    col('seq', 'seq'), col('change_seq', 'changeSeq'), col('evidence', 'evidence'), col('confidence', 'confidence'),
    col('db_user', 'dbUser'), col('app_user', 'appUser'), col('remote_host', 'remoteHost'),
    col('client_application', 'clientApplication'), col('activity_seq', 'activitySeq'), col('context_seq', 'contextSeq'),
    col('detail', 'detail'), col('created_at', 'createdAt'),
  ]);
};

export async function attributionsForChanges(db: Kysely<Warehouse>, changeSeqs: readonly string[]): Promise<AttributionRecord[]> {
  if (changeSeqs.length === 0) return [];
  const r = await sql<AttributionRecord>`select ${attributionColumns('at')}
    from auditql.attributions at
    where at.change_seq = any(${[...changeSeqs]}::bigint[])
    order by at.change_seq,
      coalesce(array_position(${[...EVIDENCE_RANK]}::text[], at.evidence), 99),
      (at.confidence <> 'EXACT'), at.seq`.execute(db);
  return r.rows;
}
