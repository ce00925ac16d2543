/**
 * One Firehose source as the endpoint serves it: `POST /ingest/firehose/<name>`, guarded by its access key,
 * its records read by its decoder (DAS by default; docs/sources/firehose.md). The CLI builds these from the
 * configuration (src/config/firehose.ts), loading the decoder and injecting the DAS key provider.
 */
import type { DecodeContext, Decoder } from '../../decoders/decoder.js';
import type { Batch, BatchResult } from '../../warehouse/sink.js';

export interface FirehoseEndpoint {
  /** The URL's `:source` and the warehouse's `source`: dedupe (positions and request ids) is per source. */
  readonly name: string;
  /** What `X-Amz-Firehose-Access-Key` must carry. Only its digest is kept by the router. */
  readonly accessKey: string;
  readonly decoder: Decoder;
  readonly ctx: DecodeContext;
}

/** Where deliveries go: the warehouse sink (one transaction per delivery, `delivery` stored with it). */
export interface DeliveryWriter {
  write(batch: Batch): Promise<BatchResult>;
}
