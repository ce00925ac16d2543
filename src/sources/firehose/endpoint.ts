/**
 * One Firehose source as the endpoint serves it: `POST /ingest/firehose/<name>`, guarded by its access key,
 * its records read by its decoder (DAS by default; docs/sources/firehose.md). The CLI builds these from the
 * configuration (src/config/firehose.ts), loading the decoder and injecting the DAS key provider.
 */
import type { DecodeContext, Decoder } from '../../decoders/decoder.js';
import type { FirehoseDelivery } from './parse-delivery.js';

export interface FirehoseEndpoint {
  /** The URL's `:source` and the warehouse's `source`: dedupe (positions and request ids) is per source. */
  readonly name: string;
  /** What `X-Amz-Firehose-Access-Key` must carry. Only its digest is kept by the router. */
  readonly accessKey: string;
  readonly decoder: Decoder;
  readonly ctx: DecodeContext;
}

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

/**
 * Where deliveries go: decoded and written as one warehouse batch, resolving once it is durable
 * (src/ingest/deliveries.ts, the pipeline's push entry).
 */
export type DeliveryStore = (
  endpoint: FirehoseEndpoint,
  delivery: FirehoseDelivery,
  headers: Readonly<Record<string, string>>,
) => Promise<DeliveryOutcome>;
