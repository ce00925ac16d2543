/**
 * `POST /ingest/firehose/:source`: Kinesis Data Firehose HTTP endpoint delivery into the warehouse
 * (docs/sources/firehose.md "The protocol"). In order:
 * 1. the source must be configured (404 otherwise; no source configured = the endpoint is disabled);
 * 2. `X-Amz-Firehose-Access-Key` must match its key, compared in constant time (401) — before any byte of
 *    the body is read;
 * 3. `Content-Type` application/json (415), `Content-Encoding` gzip or none (400), the body at most
 *    `maxBodyBytes` uncompressed (413);
 * 4. the body must be a Firehose delivery (400);
 * 5. its records are decoded and written as one batch, idempotent on the request id; 200 only after the
 *    warehouse committed it, 500 when it could not (Firehose retries, and the retry dedupes).
 * Every answer is Firehose's JSON: `{"requestId","timestamp"}` plus a masked `errorMessage` on failure.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router } from 'express';
import { silentLogger, type Logger } from '../../log.js';
import { accessKeyCheck, type AccessKeyCheck } from './access-key.js';
import { DeliverySlots } from './delivery-slots.js';
import { InflightDeliveries } from './inflight-deliveries.js';
import type { DeliveryOutcome, DeliveryStore, FirehoseEndpoint } from './endpoint.js';
import { parseDelivery, validRequestId } from './parse-delivery.js';
import { FIREHOSE_MAX_BODY_BYTES, FirehoseHeader, firehoseResponseBody, FirehoseStatus } from './protocol.js';
import { checkContentType, checkDeclaredLength, contentEncodingOf, readDeliveryBody } from './read-body.js';
import { FirehoseRejection } from './rejection.js';

export const FIREHOSE_ROUTE = '/ingest/firehose/:source';
export const DEFAULT_MAX_CONCURRENT_DELIVERIES = 4;

export interface FirehoseRouterOptions {
  readonly endpoints: readonly FirehoseEndpoint[];
  /** Decodes and stores one delivery (src/ingest/deliveries.ts). */
  readonly store: DeliveryStore;
  readonly log?: Logger;
  /** The largest body accepted, uncompressed (default 64 MiB, Firehose's own maximum). */
  readonly maxBodyBytes?: number;
  /** Deliveries read and stored at once; more wait for a slot (default 4). */
  readonly maxConcurrentDeliveries?: number;
}

/** Headers kept with dead letters and in logs (never the access key). */
const KEPT_HEADERS = [FirehoseHeader.REQUEST_ID, FirehoseHeader.SOURCE_ARN, FirehoseHeader.COMMON_ATTRIBUTES, FirehoseHeader.PROTOCOL_VERSION] as const;
const MAX_KEPT_HEADER_CHARS = 8192;

function headerText(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function keptHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const v = headerText(req, name);
    if (v !== undefined) out[name] = v.slice(0, MAX_KEPT_HEADER_CHARS);
  }
  return out;
}

/** For log lines: printable, short. */
const loggable = (s: string, max = 300) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, max);

function send(res: ServerResponse, status: number, requestId: string, errorMessage?: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(JSON.stringify(firehoseResponseBody(requestId, errorMessage)), 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', body.length);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

export function firehoseRouter(o: FirehoseRouterOptions): Router {
  const log = o.log ?? silentLogger;
  const maxBodyBytes = o.maxBodyBytes ?? FIREHOSE_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) throw new RangeError(`firehose: maxBodyBytes must be a positive integer, got ${maxBodyBytes}`);
  const slots = new DeliverySlots(o.maxConcurrentDeliveries ?? DEFAULT_MAX_CONCURRENT_DELIVERIES);
  const inflight = new InflightDeliveries<DeliveryOutcome>();
  const sources = new Map<string, { endpoint: FirehoseEndpoint; key: AccessKeyCheck }>();
  for (const endpoint of o.endpoints) {
    if (sources.has(endpoint.name)) throw new Error(`firehose: source ${JSON.stringify(endpoint.name)} is configured twice`);
    sources.set(endpoint.name, { endpoint, key: accessKeyCheck(endpoint.accessKey) });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, sourceName: string): Promise<void> {
    const headerRequestId = headerText(req, FirehoseHeader.REQUEST_ID);
    let requestId = validRequestId(headerRequestId) ? headerRequestId : '';
    const what = () => `firehose ${loggable(sourceName, 200)}: delivery ${loggable(requestId) || '(no request id)'}`;
    try {
      const entry = sources.get(sourceName);
      if (!entry) throw new FirehoseRejection(FirehoseStatus.NOT_FOUND, 'no Firehose source of this name is configured on this endpoint');
      if (!entry.key.matches(req.headers[FirehoseHeader.ACCESS_KEY])) {
        throw new FirehoseRejection(FirehoseStatus.UNAUTHORIZED, 'missing or wrong X-Amz-Firehose-Access-Key');
      }
      checkContentType(req);
      const encoding = contentEncodingOf(req);
      checkDeclaredLength(req, encoding, maxBodyBytes);
      const release = await slots.acquire();
      try {
        const delivery = parseDelivery(await readDeliveryBody(req, encoding, maxBodyBytes), headerRequestId);
        requestId = delivery.requestId;
        const headers = keptHeaders(req);
        let outcome: DeliveryOutcome;
        let joined: boolean;
        try {
          ({ result: outcome, joined } = await inflight.run(entry.endpoint.name, delivery.requestId, () =>
            o.store(entry.endpoint, delivery, headers)));
        } catch (err) {
          log.error(`${what()}: not stored, Firehose will retry: ${(err as Error).message ?? String(err)}`);
          throw new FirehoseRejection(FirehoseStatus.INTERNAL, 'the warehouse could not store this delivery; nothing was acknowledged, retry it');
        }
        const from = headers[FirehoseHeader.SOURCE_ARN] ? ` from ${loggable(headers[FirehoseHeader.SOURCE_ARN])}` : '';
        if (joined) {
          log.info(`${what()}${from}: a retry that arrived while the first attempt was storing it; acknowledged with it`);
        } else if (outcome.duplicateDelivery) {
          log.info(`${what()}${from}: already stored (a retry), acknowledged again`);
        } else {
          log.info(
            `${what()}${from}: ${outcome.records} record(s), stored ${outcome.stored}, duplicates ${outcome.duplicates}, ` +
              `dead-lettered ${outcome.deadLettered}, skipped ${outcome.skipped}`,
          );
        }
        const attributes = headers[FirehoseHeader.COMMON_ATTRIBUTES];
        if (attributes !== undefined) log.debug(`${what()}: common attributes ${loggable(attributes, 2000)}`);
        send(res, FirehoseStatus.OK, requestId);
      } finally {
        release();
      }
    } catch (err) {
      if (err instanceof FirehoseRejection) {
        if (err.status !== FirehoseStatus.INTERNAL) log.warn(`${what()}: ${err.status} ${err.message}`);
        send(res, err.status, requestId, err.message);
      } else {
        log.error(`${what()}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        send(res, FirehoseStatus.INTERNAL, requestId, 'internal error; retry');
      }
    }
  }

  const router = Router();
  router.post(FIREHOSE_ROUTE, (req, res) => handle(req, res, String(req.params.source)));
  return router;
}
