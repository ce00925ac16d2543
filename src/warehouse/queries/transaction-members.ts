/**
 * The changes and the activity of many transactions at once, a page of each per transaction (lateral
 * joins): `Transaction.changes` and `Transaction.activity` for a whole page of changes in one statement
 * each. Both walk the feed sequence upward, i.e. in the order the warehouse stored them. Activity found by
 * transaction id is read through `activity_tx`; only attribution-linked activity is looked up by seq.
 */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';
import { changeColumns, type ChangeRecord } from './change-record.js';
import { activityColumns, type ActivityRecord } from './activity-record.js';
import { sameServer, txKeys, txLinkedActivitySeqs, type TxKey } from './transaction-key.js';
import { txDays, type TxLocate } from './tx-days.js';

export interface MemberPage {
  /** Rows per transaction. */
  readonly limit: number;
  /** Only rows with a greater feed sequence. */
  readonly afterSeq: string | null;
}

/** Per key (in key order): up to `limit` changes of that transaction in feed order. */
export async function transactionChanges(
  db: Kysely<Warehouse>, keys: readonly TxKey[], page: MemberPage, locate: TxLocate = (k) => txDays(db, k),
): Promise<ChangeRecord[][]> {
  if (keys.length === 0) return [];
  const days = await locate(keys);
  const r = await sql<ChangeRecord & { i: string }>`select k.i as "i", m.* from ${txKeys(keys)}
    cross join lateral (select ${changeColumns('c')} from auditql.changes c
      where c.tx_id = k.tx_id and ${sameServer('c', 'k')} and ${days.changes('c')} and c.seq > ${page.afterSeq ?? '0'}::bigint
      order by c.seq limit ${page.limit}) m
    order by k.i, m.seq`.execute(db);
  return group(keys.length, r.rows);
}

/** Per key (in key order): up to `limit` activity events of that transaction in feed order. */
export async function transactionActivity(
  db: Kysely<Warehouse>, keys: readonly TxKey[], page: MemberPage, locate: TxLocate = (k) => txDays(db, k),
): Promise<ActivityRecord[][]> {
  if (keys.length === 0) return [];
  const after = page.afterSeq ?? '0';
  const days = await locate(keys);
  const r = await sql<ActivityRecord & { i: string }>`select k.i as "i", m.* from ${txKeys(keys)}
    cross join lateral (
      select ${activityColumns('a')} from auditql.activity a
      where a.tx_id = k.tx_id and ${sameServer('a', 'k')} and ${days.activity('a')} and a.seq > ${after}::bigint
      union all
      select ${activityColumns('a')} from auditql.activity a
      where a.seq in ${txLinkedActivitySeqs('k', days)} and a.seq > ${after}::bigint
        and not (a.tx_id is not distinct from k.tx_id and a.server is not distinct from k.server)
      order by "seq" limit ${page.limit}) m
    order by k.i, m.seq`.execute(db);
  return group(keys.length, r.rows);
}

function group<R extends { i: string }>(n: number, rows: readonly R[]): Omit<R, 'i'>[][] {
  const out: Omit<R, 'i'>[][] = Array.from({ length: n }, () => []);
  for (const { i, ...rest } of rows) out[Number(i) - 1]!.push(rest);
  return out;
}
