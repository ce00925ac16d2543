/**
 * Actor updates: attribution evidence recorded after its change was stored (Subscription.actorUpdated;
 * docs/subscriptions.md "Actor updates"). Activity streams lag behind change streams, so a change is often
 * delivered before anyone knows who made it; each later piece of evidence is one update, in feed order.
 *
 * Attribution rows take their `seq` from `auditql.feed_seq` (auditql.next_seq, above the batch's in-flight
 * marker), in the transaction of the batch that settled them (src/warehouse/attribution/settle.ts), so they
 * share the feed's guarantees (src/warehouse/queries/feed.ts): settled at or below the watermark `feedHead`,
 * never below a seq already seen. Evidence settled with its own change (`settled_with_change`) is part of the change when it
 * is delivered, and is not an update.
 */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';
import { changeColumns, type ChangeRecord } from './change-record.js';
import { changeConditions, type ChangeQuery } from './change-page.js';
import { attributionColumns, type AttributionRecord } from './attributions.js';
import { inSlice, type FeedSlice } from './feed.js';
import { allOf } from './keyset.js';

export interface ActorUpdateRecord {
  /** The evidence row's feed sequence (resume after it). */
  readonly seq: string;
  readonly evidence: AttributionRecord;
  /** The change it is about, as stored. */
  readonly change: ChangeRecord;
}

const PREFIX = 'at_';

/** Updates about changes matching `q` in the slice, oldest seq first. */
export async function feedActorUpdates(db: Kysely<Warehouse>, q: ChangeQuery, s: FeedSlice): Promise<ActorUpdateRecord[]> {
  const where = changeConditions(q);
  where.push(inSlice('at', s), sql`at.settled_with_change is not true`);
  const r = await sql<Record<string, unknown>>`select ${attributionColumns('at', PREFIX)}, ${changeColumns('c')}
    from auditql.attributions at join auditql.changes c on c.seq = at.change_seq
    where ${allOf(where)} order by at.seq limit ${s.limit}`.execute(db);
  return r.rows.map((row) => {
    const evidence: Record<string, unknown> = {};
    const change: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) {
      if (k.startsWith(PREFIX)) evidence[k.slice(PREFIX.length)] = v;
      else change[k] = v;
    }
    const e = evidence as unknown as AttributionRecord;
    return { seq: e.seq, evidence: e, change: change as unknown as ChangeRecord };
  });
}
