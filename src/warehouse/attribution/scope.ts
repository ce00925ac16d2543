/**
 * What one settlement looks at, worked out once per batch so every rule's statement is cheap to plan and to
 * run on a warehouse with months of daily partitions:
 *
 * - The new rows, by feed sequence range. The sink allocates a batch's rows of one table as one block
 *   (auditql.allocate_seqs: no other block is drawn in between; only in-flight markers and attribution
 *   rows, which are in no event table, may be), so the table holds no other row between their smallest and
 *   largest seq: they are
 *   read with one index range probe per partition, only in the partitions of their own times (or the epoch
 *   one, time unknown). (A caller passing arbitrary seqs settles their whole range: harmless, settling is
 *   idempotent.) The seq list itself never reaches a partitioned table's filter, where PostgreSQL would
 *   estimate every element for every partition while planning.
 * - Time bounds as plan-time constants: evidence lies within the window of the commit, so everything a
 *   batch can settle against lies within a few windows of the batch's own times; PostgreSQL then plans only
 *   those partitions (plus the epoch one). A batch holding a row of unknown time is unbounded.
 */
import type pg from 'pg';
import type { StoredSeqs } from '../../contracts/batch.js';

export interface SeqSet {
  readonly seqs: readonly string[];
  /** Smallest and largest seq (decimal text); '0' when empty. */
  readonly min: string;
  readonly max: string;
}

export interface BatchScope {
  readonly change: SeqSet;
  readonly activity: SeqSet;
  readonly context: readonly string[];
  /** Earliest and latest known time of the new rows, as timestamptz text (null: none known). */
  readonly newFirst: string | null;
  readonly newLast: string | null;
  /** Where tx-keyed evidence and its transactions can lie (`-infinity`/`infinity` when unbounded). */
  readonly txLo: string;
  readonly txHi: string;
  /** Where session evidence can lie. */
  readonly sessionLo: string;
  readonly sessionHi: string;
}

function seqSet(seqs: readonly string[]): SeqSet {
  if (seqs.length === 0) return { seqs, min: '0', max: '0' };
  let min = BigInt(seqs[0]!);
  let max = min;
  for (const s of seqs) {
    const v = BigInt(s);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { seqs, min: String(min), max: String(max) };
}

/**
 * SQL condition: `alias` is one of the new rows of a partitioned table, given the params holding their
 * smallest and largest seq and their first and last time.
 */
export const newRows = (alias: string, min: string, max: string, first: string, last: string) =>
  `${alias}.seq BETWEEN ${min}::bigint AND ${max}::bigint
   AND (${alias}.part_at BETWEEN ${first}::timestamptz AND ${last}::timestamptz OR ${alias}.part_at = timestamptz 'epoch')`;

/**
 * SQL value of `auditql.attributions.settled_with_change` for a row about change `change_seq`, in the rule
 * statements whose $1/$2 are the batch's smallest and largest new change seq: evidence about one of this
 * batch's own changes is settled with it (delivered as part of the change); about an earlier change, it is
 * an update (Subscription.actorUpdated). Exact for the same reason as `newRows`: no other change lies in
 * the range. A batch without changes passes '0'/'0', and no change has seq 0.
 */
export const settledWithChange = (changeSeq: string) => `(${changeSeq} BETWEEN $1::bigint AND $2::bigint)`;

const SQL = `
WITH s AS (
  SELECT coalesce((SELECT tx_window FROM auditql.attribution_settings), interval '1 day') AS tw,
         coalesce((SELECT session_window FROM auditql.attribution_settings), interval '5 seconds') AS sw
),
t AS (
  SELECT c.committed_at AS at FROM auditql.changes c WHERE ${newRows('c', '$1', '$2', "'-infinity'", "'infinity'")}
  UNION ALL
  SELECT coalesce(a.occurred_at, a.started_at) FROM auditql.activity a WHERE ${newRows('a', '$3', '$4', "'-infinity'", "'infinity'")}
  UNION ALL
  SELECT x.occurred_at FROM auditql.contexts x WHERE x.seq = ANY($5::bigint[])
)
SELECT min(t.at)::text AS first, max(t.at)::text AS last,
       (CASE WHEN bool_or(t.at IS NULL) OR min(t.at) IS NULL THEN '-infinity' ELSE (min(t.at) - 3 * s.tw)::text END) AS tx_lo,
       (CASE WHEN bool_or(t.at IS NULL) OR min(t.at) IS NULL THEN 'infinity' ELSE (max(t.at) + 3 * s.tw)::text END) AS tx_hi,
       (CASE WHEN bool_or(t.at IS NULL) OR min(t.at) IS NULL THEN '-infinity' ELSE (min(t.at) - s.sw)::text END) AS session_lo,
       (CASE WHEN bool_or(t.at IS NULL) OR min(t.at) IS NULL THEN 'infinity' ELSE (max(t.at) + s.sw)::text END) AS session_hi
FROM t CROSS JOIN s
GROUP BY s.tw, s.sw`;

export async function batchScope(client: pg.PoolClient, seqs: StoredSeqs): Promise<BatchScope> {
  const change = seqSet(seqs.change);
  const activity = seqSet(seqs.activity);
  const r = await client.query<{ first: string | null; last: string | null; tx_lo: string; tx_hi: string; session_lo: string; session_hi: string }>(
    { name: 'auditql_settle_scope', text: SQL, values: [change.min, change.max, activity.min, activity.max, seqs.context] });
  const row = r.rows[0];
  return {
    change,
    activity,
    context: seqs.context,
    newFirst: row?.first ?? null,
    newLast: row?.last ?? null,
    txLo: row?.tx_lo ?? '-infinity',
    txHi: row?.tx_hi ?? 'infinity',
    sessionLo: row?.session_lo ?? '-infinity',
    sessionHi: row?.session_hi ?? 'infinity',
  };
}
