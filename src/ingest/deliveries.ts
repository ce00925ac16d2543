/**
 * The Firehose endpoint's way into the pipeline: one delivery → one warehouse batch, through the same
 * decode, dead-letter and store stages as every other source (pipeline.ts, store-batch.ts). Each
 * `records[i].data` becomes a raw record at position `firehose:<requestId>/<i>` (its events `…#n` when it
 * holds several); the whole delivery is written with `delivery: {requestId, records}`, so a retry of the same
 * request id stores nothing twice, and the endpoint answers 200 only once this resolved (the batch is durable).
 * A warehouse outage is not waited out here: the endpoint answers 500 and Firehose retries the delivery.
 *
 * Records decode concurrently (DAS decryption waits on KMS and the Encryption SDK), in order, a few at a time.
 */
import type { RawRecord } from '../contracts/records.js';
import type { Sink } from '../contracts/sink.js';
import type { DeliveryOutcome, DeliveryStore, FirehoseEndpoint } from '../sources/firehose/endpoint.js';
import type { FirehoseDelivery } from '../sources/firehose/parse-delivery.js';
import type { Logger } from '../log.js';
import { decodeRecord } from './decode-record.js';
import { countUnit } from './pipeline.js';
import { storeUnits } from './store-batch.js';
import { emptySummary } from './summary.js';
import { unitOf, type Unit } from './unit.js';

const DECODE_CONCURRENCY = 8;
/** Firehose retries a delivery itself: an outage is answered at once (500), not waited out here. */
const NO_WAIT = Object.freeze({ limitMs: 0 });

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

export function deliveryStore(sink: Sink, log?: Logger): DeliveryStore {
  return async (endpoint: FirehoseEndpoint, delivery: FirehoseDelivery, headers: Readonly<Record<string, string>>): Promise<DeliveryOutcome> => {
    const raws: RawRecord[] = delivery.records.map((value, i) => ({
      position: firehosePosition(delivery.requestId, i),
      value,
      headers,
      ...(delivery.timestamp !== null ? { timestamp: String(delivery.timestamp) } : {}),
    }));
    const summary = emptySummary();
    const units = await mapInOrder<RawRecord, Unit>(raws, DECODE_CONCURRENCY, async (r) => {
      const d = await decodeRecord(endpoint.decoder, r, endpoint.ctx);
      const u = unitOf(r, endpoint.decoder.format, d);
      countUnit(summary, u, d.kind === 'events' ? d.skipped : undefined);
      return u;
    });
    const r = await storeUnits(
      { source: endpoint.name, sink, outage: NO_WAIT, ...(log ? { log: log.warn } : {}) },
      units,
      [],
      { requestId: delivery.requestId, records: raws.length },
    );
    return {
      records: raws.length,
      stored: r.stored,
      duplicates: r.duplicates,
      deadLettered: r.deadLettered,
      skipped: summary.skipped,
      duplicateDelivery: r.duplicateDelivery,
    };
  };
}
