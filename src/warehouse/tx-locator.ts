/**
 * The transaction locator's write side (docs/warehouse.md "Reading one transaction: the transaction
 * locator"): which UTC days each transaction (id, server) has changes and activity on, in
 * `auditql.tx_parts` (migrations/048_tx_locator.sql). The sink records a batch's (transaction, relation,
 * day) triples in the batch's transaction, so a reader never sees a row the locator does not know;
 * retention deletes the rows of the days it drops. The read side is queries/tx-days.ts.
 */
import type pg from 'pg';
import type { AuditEvent } from '../model/events.js';
import { partDayOf } from './partitions.js';

// One statement per batch, append-only (no unique key, no ON CONFLICT: writers of different streams never
// wait on each other's uncommitted rows, entity-locator.ts says why). A triple is written once per batch:
// the batch's triples are made distinct here, before they are sent.
const LOCATE_SQL = `INSERT INTO auditql.tx_parts (tx_id, server, relation, part_day)
  SELECT u.tx, u.server, u.relation, u.day FROM unnest($1::text[], $2::text[], $3::text[], $4::date[]) AS u(tx, server, relation, day)`;

interface Located {
  readonly txId: string;
  readonly server: string | null;
  readonly relation: 'changes' | 'activity';
  readonly day: string;
}

function located(e: AuditEvent): Located | null {
  if (e.kind === 'change' && e.txId != null) return { txId: e.txId, server: e.origin.server, relation: 'changes', day: partDayOf(e.committedAt) };
  if (e.kind === 'activity' && e.txId != null) return { txId: e.txId, server: e.server, relation: 'activity', day: partDayOf(e.occurredAt ?? e.startedAt) };
  return null;
}

/** Record where a batch's transactions are, inside the batch's transaction. Redelivered rows only repeat what is known. */
export async function locateTransactions(client: pg.PoolClient, ...kinds: (readonly AuditEvent[] | undefined)[]): Promise<void> {
  const seen = new Set<string>();
  const rows: Located[] = [];
  for (const events of kinds) {
    for (const e of events ?? []) {
      const l = located(e);
      if (!l) continue;
      const k = `${l.relation}\u0000${l.day}\u0000${l.server === null ? '-' : `+${l.server}`}\u0000${l.txId}`;
      if (seen.has(k)) continue;
      seen.add(k);
      rows.push(l);
    }
  }
  if (rows.length === 0) return;
  await client.query(LOCATE_SQL, [rows.map((r) => r.txId), rows.map((r) => r.server), rows.map((r) => r.relation), rows.map((r) => r.day)]);
}

/** Retention: forget the days whose partitions of `relation` were dropped. */
export async function forgetTxDays(pool: pg.Pool, relation: 'changes' | 'activity', days: readonly string[]): Promise<void> {
  if (days.length === 0) return;
  await pool.query('DELETE FROM auditql.tx_parts WHERE relation = $1 AND part_day = ANY($2::date[])', [relation, days]);
}

/** Retention on TimescaleDB: forget the days from `from` (inclusive) to `to` (exclusive). */
export async function forgetTxDaysBetween(pool: pg.Pool, from: string, to: string): Promise<void> {
  await pool.query('DELETE FROM auditql.tx_parts WHERE part_day >= $1::date AND part_day < $2::date', [from, to]);
}
