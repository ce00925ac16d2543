/**
 * What the warehouse knows about transactions as a whole: how many changes and activity events, when,
 * their boundary events (Debezium transaction topic, pgoutput BEGIN/COMMIT) and application context.
 * One statement for any number of transactions.
 */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';
import type { JsonRow } from '../../model/json.js';
import { sameServer, txActivitySeqs, txKeys, type TxKey } from './transaction-key.js';
import { txDays, txIdDays, type TxLocate } from './tx-days.js';

export interface TransactionSummary extends TxKey {
  readonly changeCount: number;
  readonly activityCount: number;
  readonly firstCommittedAt: Date | null;
  readonly lastCommittedAt: Date | null;
  readonly beganAt: Date | null;
  readonly endedAt: Date | null;
  /** Events the source says the transaction held (Debezium END `event_count`). */
  readonly eventCount: string | null;
  /** The first application-context message of the transaction. */
  readonly context: JsonRow | null;
  readonly appUser: string | null;
  readonly contextCount: number;
  readonly boundaryCount: number;
}

/** Summaries in key order; a transaction the warehouse has nothing of still gets one, with zero counts. */
export async function transactionSummaries(
  db: Kysely<Warehouse>, keys: readonly TxKey[], locate: TxLocate = (k) => txDays(db, k),
): Promise<TransactionSummary[]> {
  if (keys.length === 0) return [];
  const days = await locate(keys);
  const r = await sql<TransactionSummary & { i: string }>`select k.i as "i", k.tx_id as "txId", k.server as "server",
      ch.n as "changeCount", ch.first_at as "firstCommittedAt", ch.last_at as "lastCommittedAt",
      ac.n as "activityCount",
      te.began_at as "beganAt", te.ended_at as "endedAt", te.event_count as "eventCount", te.n as "boundaryCount",
      cx.content as "context", cx.app_user as "appUser", cxn.n as "contextCount"
    from ${txKeys(keys)}
    cross join lateral (select count(*)::int as n, min(c.committed_at) as first_at, max(c.committed_at) as last_at
      from auditql.changes c where c.tx_id = k.tx_id and ${sameServer('c', 'k')} and ${days.changes('c')}) ch
    cross join lateral (select count(*)::int as n from ${txActivitySeqs('k', days)} s) ac
    cross join lateral (select count(*)::int as n,
        min(e.occurred_at) filter (where e.status = 'BEGIN') as began_at,
        max(e.occurred_at) filter (where e.status = 'END') as ended_at,
        max(e.event_count) filter (where e.status = 'END') as event_count
      from auditql.transaction_events e where e.tx_id = k.tx_id and ${sameServer('e', 'k')}) te
    left join lateral (select x.content, x.app_user from auditql.contexts x
      where x.tx_id = k.tx_id and ${sameServer('x', 'k')} order by x.seq limit 1) cx on true
    cross join lateral (select count(*)::int as n from auditql.contexts x
      where x.tx_id = k.tx_id and ${sameServer('x', 'k')}) cxn
    order by k.i`.execute(db);
  return r.rows.map(({ i: _i, ...s }) => s);
}

/**
 * The servers a transaction id occurs on: where its changes are; else its context and boundary events;
 * else its activity. Lets `transaction(id)` find a transaction without being told the server.
 */
export async function transactionServers(db: Kysely<Warehouse>, txId: string): Promise<(string | null)[]> {
  const days = await txIdDays(db, txId);
  const r = await sql<{ server: string | null; rank: number }>`
    select distinct server, 1 as rank from auditql.changes c where tx_id = ${txId} and ${days.changes('c')}
    union select distinct server, 2 from auditql.contexts where tx_id = ${txId}
    union select distinct server, 2 from auditql.transaction_events where tx_id = ${txId}
    union select distinct server, 3 from auditql.activity a where tx_id = ${txId} and ${days.activity('a')}`.execute(db);
  const best = Math.min(...r.rows.map((x) => x.rank));
  return r.rows.filter((x) => x.rank === best).map((x) => x.server);
}
