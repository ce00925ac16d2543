/**
 * Begin and Commit records → `transaction` events (BEGIN / END) for the transaction's xid, at its commit
 * timestamp. END carries the number of row changes and the per-table counts in the Debezium transaction
 * metadata shape (`[{data_collection: "schema.table", event_count: n}]`) so both formats read alike.
 */
import { transaction, type TransactionEvent } from '../../model/events.js';
import type { RawRecord } from '../decoder.js';
import type { BeginRecord, CommitRecord } from './record.js';

export function transactionBoundary(rec: BeginRecord | CommitRecord, record: RawRecord): TransactionEvent {
  const end = rec.kind === 'commit';
  return transaction({
    format: 'pgoutput',
    position: record.position,
    status: end ? 'END' : 'BEGIN',
    txId: rec.xid,
    server: rec.source.systemId,
    occurredAt: new Date(rec.commitTime),
    eventCount: end ? rec.changes : null,
    dataCollections: end
      ? rec.dataCollections.map((d) => ({ data_collection: d.dataCollection, event_count: d.eventCount }))
      : null,
  });
}
