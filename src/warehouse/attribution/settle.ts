/**
 * Attribution settlement (docs/attribution.md). The warehouse sink calls it at the end of
 * each batch's transaction, after the inserts and holding ATTRIBUTION_LOCK (src/warehouse/locks.ts) until
 * commit, with the feed sequences it just stored. Evidence arrives in either order — activity streams lag, or run ahead — so each rule looks
 * both ways: new changes for stored context and activity, new context and activity for stored changes.
 * Every rule is one set-based statement (no per-row round trips; src/warehouse/attribution/scope.ts keeps
 * them cheap on many partitions) and idempotent, so a change's actor is
 * settled, and later upgraded, whenever the missing side arrives. ATTRIBUTION_LOCK serializes
 * settlements, and under READ COMMITTED each statement after it sees every batch committed before: of two
 * batches (of any streams) holding matching evidence, whichever settles second sees the first.
 *
 * Nothing is ever guessed: a change without evidence gets no row, and evidence that disagrees is all kept
 * (the API flags the conflict).
 *
 * Each rule's statement is a named prepared statement (one fixed text per rule, so a connection holds at
 * most four), leaving the plan choice to PostgreSQL (`plan_cache_mode = auto`): it keeps a generic plan
 * where that costs no more than a custom one and plans afresh otherwise. For a live capture's one-change
 * batch, planning is most of the work (BENCHMARKS.md bench:live); the scope statement goes generic, the
 * other two stay custom — forcing generic plans would trade their per-batch estimates for default ones.
 * A changes-only batch skips the transaction rule when no evidence for its transactions is stored at all
 * (tx-precheck.ts), which saves that rule's planning where it could find nothing anyway.
 */
import type pg from 'pg';
import type { StoredSeqs } from '../../contracts/batch.js';
import type { SettleCounts } from './evidence.js';
import { settleTxEvidence, type TxEvidenceCounts } from './tx-evidence.js';
import { txEvidenceStored } from './tx-precheck.js';
import { settleSessionEvidence } from './session-evidence.js';
import { settleSourceEvidence } from './source-evidence.js';
import { batchScope } from './scope.js';

const NONE: SettleCounts = Object.freeze({ appContext: 0, dbContext: 0, activityTx: 0, activitySession: 0, source: 0 });
const NO_TX: TxEvidenceCounts = Object.freeze({ appContext: 0, dbContext: 0, activityTx: 0 });

/** The sink's `AfterInsert` (src/warehouse/sink.ts): settle what this batch stored. */
export async function settleAttribution(client: pg.PoolClient, seqs: StoredSeqs): Promise<void> {
  await settleEvidence(client, seqs);
}

/** Settle, and say how many rows each rule added. */
export async function settleEvidence(client: pg.PoolClient, seqs: StoredSeqs): Promise<SettleCounts> {
  const { change, activity, context } = seqs;
  if (change.length === 0 && activity.length === 0 && context.length === 0) return NONE;
  const scope = await batchScope(client, seqs);
  // A changes-only batch (the live capture's) skips the transaction rule when nothing could match it.
  const txPossible = activity.length > 0 || context.length > 0 || (await txEvidenceStored(client, scope));
  const tx = txPossible ? await settleTxEvidence(client, scope) : NO_TX;
  const activitySession = change.length > 0 || activity.length > 0 ? await settleSessionEvidence(client, scope) : 0;
  const source = change.length > 0 ? await settleSourceEvidence(client, scope) : 0;
  return { ...tx, activitySession, source };
}
