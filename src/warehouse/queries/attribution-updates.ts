/**
 * Attribution rows recorded after a feed sequence, in feed order: how a subscriber learns that a change's
 * actor was settled or upgraded after the change itself was delivered (activity streams lag). Attribution
 * rows take their `seq` from `auditql.feed_seq` under the sink's lock, so `after` is exact, like a change
 * cursor; the sink's NOTIFY on `auditql_feed` wakes listeners when they commit.
 */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';

export interface AttributionUpdate {
  /** The attribution row's feed sequence (resume after it). */
  readonly seq: string;
  /** The change whose actor it adds to (`Change.id`). */
  readonly changeSeq: string;
  readonly evidence: string;
  readonly confidence: string;
}

export async function attributionUpdatesAfter(db: Kysely<Warehouse>, afterSeq: string, limit: number): Promise<AttributionUpdate[]> {
  const r = await sql<AttributionUpdate>`select at.seq as "seq", at.change_seq as "changeSeq", at.evidence as "evidence",
      at.confidence as "confidence"
    from auditql.attributions at where at.seq > ${afterSeq}::bigint order by at.seq limit ${limit}`.execute(db);
  return r.rows;
}
