/**
 * What resolvers hand to GraphQL: warehouse records plus the few derived fields (id, cursor), built once
 * per row so the object types can use plain property reads (`simpleResolvers`).
 */
import type { ActivityRecord } from '../warehouse/queries/activity-record.js';
import type { ChangeRecord } from '../warehouse/queries/change-record.js';
import type { TxKey } from '../warehouse/queries/transaction-key.js';
import type { ActorUpdateRecord } from '../warehouse/queries/attribution-updates.js';
import type { SchemaChangeRecord } from '../warehouse/queries/schema-change-page.js';
import { encodeActivityCursor, encodeActorUpdateCursor, encodeChangeCursor, encodeSchemaChangeCursor } from './cursor.js';
import { evidenceNode, type EvidenceNode } from './actor.js';

export interface ChangeNode extends ChangeRecord {
  readonly id: string;
  readonly cursor: string;
  readonly transactionId: string | null;
}

export interface ActivityNode extends Omit<ActivityRecord, 'rowCount'> {
  readonly id: string;
  readonly rowCount: number | null;
  readonly cursor: string;
  readonly transactionId: string | null;
  readonly success: boolean;
}

export interface ActorUpdateNode {
  readonly cursor: string;
  readonly change: ChangeNode;
  readonly evidence: EvidenceNode;
}

/** A transaction as a field value: its identity only; everything else is loaded when asked for. */
export interface TransactionNode extends TxKey {
  readonly id: string;
}

// The derived fields come first: V8 copies a spread row fast, but every property added after a spread
// costs a map transition per row, and this runs for every node of every page (BENCHMARKS.md bench:query).
export const changeNode = (r: ChangeRecord): ChangeNode => ({ id: r.seq, cursor: encodeChangeCursor(r), transactionId: r.txId, ...r });

export const activityNode = (r: ActivityRecord): ActivityNode => ({
  ...r,
  id: r.seq,
  rowCount: r.rowCount === null ? null : Number(r.rowCount),
  cursor: encodeActivityCursor(r),
  transactionId: r.txId,
  success: !r.failed,
});

export const transactionNode = (txId: string | null, server: string | null): TransactionNode | null =>
  txId === null ? null : { id: txId, txId, server };

export const actorUpdateNode = (r: ActorUpdateRecord): ActorUpdateNode => ({
  cursor: encodeActorUpdateCursor({ seq: r.seq, partUs: r.change.partUs }),
  change: changeNode(r.change),
  evidence: evidenceNode(r.evidence),
});

export interface SchemaChangeNode extends SchemaChangeRecord {
  readonly id: string;
  readonly cursor: string;
}

export const schemaChangeNode = (r: SchemaChangeRecord): SchemaChangeNode => ({ ...r, id: r.seq, cursor: encodeSchemaChangeCursor(r) });
