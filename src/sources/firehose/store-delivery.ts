/**
 * One delivery → one warehouse batch. Each `records[i].data` becomes a raw record at position
 * `firehose:<requestId>/<i>` (its events `…#n` when it holds several), is decoded by the source's decoder,
 * and the whole delivery is written as one batch carrying `delivery: {requestId, records}`: the sink stores
 * the request id in the same transaction, so a retry of the same request id stores nothing twice, and the
 * caller answers 200 only once this resolved (the batch is durable).
 *
 * A record that does not decode is a dead letter (its bytes, its position, the code and reason, and the
 * Firehose headers); the delivery still succeeds. Records decode concurrently (DAS decryption waits on KMS
 * and the Encryption SDK), in order, a few at a time.
 */
import type { RawRecord } from '../../decoders/decoder.js';
import { decodeRecord, type DecodedRecord } from '../../ingest/decode-record.js';
import type { AuditEvent } from '../../model/events.js';
import type { DeadLetter } from '../../warehouse/sink.js';
import type { DeliveryWriter, FirehoseEndpoint } from './endpoint.js';
import type { FirehoseDelivery } from './parse-delivery.js';

export interface DeliveryOutcome {
  readonly records: number;
  readonly stored: number;
  readonly duplicates: number;
  readonly deadLettered: number;
  /** Records deliberately skipped (heartbeats, empty records …). */
  readonly skipped: number;
  /** This request id had already been stored: nothing was written. */
  readonly duplicateDelivery: boolean;
}

const DECODE_CONCURRENCY = 8;

export const firehosePosition = (requestId: string, index: number): string => `firehose:${requestId}/${index}`;

async function mapInOrder<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function storeDelivery(
  endpoint: FirehoseEndpoint,
  delivery: FirehoseDelivery,
  headers: Readonly<Record<string, string>>,
  sink: DeliveryWriter,
): Promise<DeliveryOutcome> {
  const raws: RawRecord[] = delivery.records.map((value, i) => ({
    position: firehosePosition(delivery.requestId, i),
    value,
    headers,
    ...(delivery.timestamp !== null ? { timestamp: String(delivery.timestamp) } : {}),
  }));
  const decoded = await mapInOrder<RawRecord, DecodedRecord>(raws, DECODE_CONCURRENCY, (r) => decodeRecord(endpoint.decoder, r, endpoint.ctx));

  const events: AuditEvent[] = [];
  const deadLetters: DeadLetter[] = [];
  let skipped = 0;
  decoded.forEach((d, i) => {
    const raw = raws[i]!;
    if (d.kind === 'dead') {
      deadLetters.push({ position: raw.position, format: endpoint.decoder.format, code: d.code, message: d.message, value: raw.value, headers });
    } else if (d.events.length === 0) {
      skipped++;
    } else {
      events.push(...d.events);
    }
  });

  const r = await sink.write({
    source: endpoint.name,
    events,
    deadLetters,
    checkpoints: [],
    delivery: { requestId: delivery.requestId, records: raws.length },
  });
  return {
    records: raws.length,
    stored: r.stored,
    duplicates: r.duplicates,
    deadLettered: r.deadLettered,
    skipped,
    duplicateDelivery: r.duplicateDelivery,
  };
}
