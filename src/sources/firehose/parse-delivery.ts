/**
 * The delivery body (docs/sources/firehose.md "The protocol") → its request id, timestamp and the records' bytes. Anything that
 * is not a Firehose delivery is refused whole with 400 (Firehose retries; a sender that is not Firehose learns
 * what is wrong): a body that is not JSON, a missing or odd `requestId`, `records` that is not an array of
 * `{"data": <base64>}`, more than 10000 records, or a body `requestId` that disagrees with the
 * `X-Amz-Firehose-Request-Id` header. Messages name the field, never its content.
 */
import { FIREHOSE_MAX_RECORDS, FirehoseStatus } from './protocol.js';
import { FirehoseRejection } from './rejection.js';

export interface FirehoseDelivery {
  /** The dedupe key: the same across Firehose's retries of this delivery. */
  readonly requestId: string;
  /** The body's `timestamp` (epoch ms), when it is a number. */
  readonly timestamp: number | null;
  /** Each `records[i].data`, base64-decoded (possibly empty). */
  readonly records: readonly Buffer[];
}

/** Longer than any GUID Firehose sends; it becomes part of every record's position. */
export const MAX_REQUEST_ID_LENGTH = 256;

const malformed = (message: string) => new FirehoseRejection(FirehoseStatus.BAD_REQUEST, message);

/** Standard base64 (Firehose's encoding): the alphabet, padding only at the end, a length that is a multiple of 4. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A request id as Firehose sends it: 1–256 printable characters. */
export function validRequestId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_REQUEST_ID_LENGTH && /^[\x21-\x7e]+$/.test(value);
}

function decodeData(item: unknown, i: number): Buffer {
  const data = typeof item === 'object' && item !== null && !Array.isArray(item) ? (item as { data?: unknown }).data : undefined;
  if (typeof data !== 'string') throw malformed(`records[${i}].data is missing or not a string`);
  if (data.length % 4 !== 0 || !BASE64.test(data)) throw malformed(`records[${i}].data is not base64`);
  return Buffer.from(data, 'base64');
}

export function parseDelivery(body: Buffer, headerRequestId: string | undefined): FirehoseDelivery {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    throw malformed('request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed('request body is not a JSON object');
  const o = parsed as { requestId?: unknown; timestamp?: unknown; records?: unknown };
  if (!validRequestId(o.requestId)) throw malformed(`requestId is missing or not 1-${MAX_REQUEST_ID_LENGTH} printable characters`);
  if (headerRequestId !== undefined && headerRequestId !== o.requestId) {
    throw malformed('requestId in the body differs from the X-Amz-Firehose-Request-Id header');
  }
  if (!Array.isArray(o.records)) throw malformed('records is missing or not an array');
  if (o.records.length > FIREHOSE_MAX_RECORDS) throw malformed(`records holds more than ${FIREHOSE_MAX_RECORDS} items`);
  const records = o.records.map(decodeData);
  const timestamp = typeof o.timestamp === 'number' && Number.isFinite(o.timestamp) ? o.timestamp : null;
  return { requestId: o.requestId, timestamp, records };
}
