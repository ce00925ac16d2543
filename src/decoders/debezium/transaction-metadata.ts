/**
 * A value on the transaction topic `<topic.prefix>.transaction` (docs/formats/debezium.md "Transaction topic"):
 * `{status: BEGIN|END, id, ts_ms, event_count (END), data_collections (END)}` → a `transaction` event.
 * - txId: PG `"<txId>:<lsn>"` → the part before `:` (transaction-id.ts), MySQL id as is.
 * - server: these values have no `source` block; the topic name is `<topic.prefix>.transaction` and
 *   topic.prefix is what data events carry as `source.name`, so the topic minus `.transaction` is the
 *   server. Without a topic (a bare file of values) or with a renamed topic (`topic.transaction`), null.
 * - occurredAt: `ts_ms` (the boundary time at the source); 0 or absent → null.
 */
import { transaction, type TransactionEvent } from '../../model/events.js';
import { isPlainObject, type Json } from '../../model/json.js';
import type { RawRecord } from '../decoder.js';
import type { TransactionMetadataValue } from './envelope.js';
import { instantOf } from './event-time.js';
import { safeIntOf } from './scalars.js';
import { txIdOfMetadataId } from './transaction-id.js';

const TOPIC_SUFFIX = '.transaction';

/** The shape of a transaction topic value (checked before the decoder trusts it). */
export function isTransactionMetadata(value: Record<string, unknown>): value is Record<string, unknown> & TransactionMetadataValue {
  return (
    (value['status'] === 'BEGIN' || value['status'] === 'END') &&
    typeof value['id'] === 'string' &&
    value['op'] === undefined &&
    ('event_count' in value || 'data_collections' in value || 'ts_ms' in value)
  );
}

export function serverOfTransactionTopic(topic: string | undefined): string | null {
  return topic && topic.endsWith(TOPIC_SUFFIX) && topic.length > TOPIC_SUFFIX.length ? topic.slice(0, -TOPIC_SUFFIX.length) : null;
}

export function transactionMetadata(value: TransactionMetadataValue, record: RawRecord): TransactionEvent {
  const collections = value.data_collections;
  return transaction({
    format: 'debezium',
    position: record.position,
    status: value.status,
    txId: txIdOfMetadataId(value.id),
    server: serverOfTransactionTopic(record.topic),
    occurredAt: instantOf(value),
    eventCount: safeIntOf(value.event_count),
    dataCollections: Array.isArray(collections) || isPlainObject(collections) ? (collections as Json) : null,
  });
}
