/**
 * Transaction identity, chosen so a change, its transaction's BEGIN/END and its application context all
 * carry the **same** txId and join on (txId, server) (docs/formats/debezium.md "Source block",
 * "Transaction topic"):
 * - PostgreSQL changes and messages: `source.txId` (the xid) as text. The transaction topic's id is
 *   `"<txId>:<lsn>"` (PostgresTransactionMonitor), so its part before `:` is used there; the data events'
 *   `transaction.id` is that same pair and is used (before `:`) only when `source.txId` is missing.
 * - MySQL: the transaction block id when present (the GTID, or `file=…,pos=…` without GTIDs — identical on
 *   the transaction topic), else `source.gtid`, else null (no transaction metadata, GTIDs off).
 */
import { isPlainObject } from '../../model/json.js';
import type { SourceInfo } from './source-info.js';
import { nonEmpty, safeIntOf, textOf } from './scalars.js';

const PG_TRANSACTION_ID = /^(\d+):\d+$/;

/** A transaction-topic or transaction-block id → the txId changes carry. */
export function txIdOfMetadataId(id: string): string {
  return PG_TRANSACTION_ID.exec(id)?.[1] ?? id;
}

export interface TxPosition {
  readonly txId: string | null;
  /** `transaction.total_order`: the event's place in its transaction. */
  readonly txOrder: number | null;
}

export function txPosition(info: SourceInfo, transactionBlock: unknown): TxPosition {
  const block = isPlainObject(transactionBlock) ? transactionBlock : null;
  const blockId = block ? nonEmpty(textOf(block['id'])) : null;
  const txOrder = block ? safeIntOf(block['total_order']) : null;
  let txId: string | null;
  if (info.dialect === 'mysql') txId = blockId ?? nonEmpty(info.block.gtid);
  else txId = textOf(info.block.txId) ?? (blockId !== null ? txIdOfMetadataId(blockId) : null);
  return { txId, txOrder };
}
