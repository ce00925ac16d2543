/**
 * Whether the transaction rule (tx-evidence.ts) can find anything for a batch that holds only changes — the
 * live capture's usual batch: one source transaction, no activity, no context. Planning the rule's
 * statement dominates a one-row batch (src/warehouse/attribution/settle.ts; BENCHMARKS.md bench:live has
 * the figures); this probe is a small fraction of it.
 *
 * Exact as a skip: with no new activity or context, the rule's transactions (`keys`) are those of the new
 * changes, and it can only add rows through activity or transactional context stored for one of them
 * (`direct_act`, `tx_context`; `linked_act` and the changes it reads both hang off those). This probe asks
 * for that evidence on the same (server, tx_id) with looser bounds than the rule's — any transactional
 * flag, the batch's whole window, the epoch partition — so when it says no, the rule would have added
 * nothing.
 */
import type pg from 'pg';
import { newRows, type BatchScope } from './scope.js';

const SQL = `
WITH k AS MATERIALIZED (
  SELECT DISTINCT c.server, c.tx_id FROM auditql.changes c
  WHERE ${newRows('c', '$1', '$2', '$3', '$4')} AND c.tx_id IS NOT NULL AND c.server IS NOT NULL
)
SELECT EXISTS (
         SELECT 1 FROM k JOIN auditql.activity a ON a.tx_id = k.tx_id AND a.server = k.server
         WHERE a.part_at BETWEEN $5::timestamptz AND $6::timestamptz OR a.part_at = timestamptz 'epoch')
    OR EXISTS (SELECT 1 FROM k JOIN auditql.contexts x ON x.tx_id = k.tx_id AND x.server = k.server) AS found`;

/** False when a changes-only batch's transactions have no stored activity or context at all. */
export async function txEvidenceStored(client: pg.PoolClient, b: BatchScope): Promise<boolean> {
  const r = await client.query<{ found: boolean }>({
    name: 'auditql_settle_tx_precheck', text: SQL, values: [b.change.min, b.change.max, b.newFirst, b.newLast, b.txLo, b.txHi],
  });
  return r.rows[0]?.found ?? true;
}
