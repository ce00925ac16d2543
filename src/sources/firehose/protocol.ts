/**
 * Kinesis Data Firehose HTTP endpoint delivery, the request/response contract (docs/sources/firehose.md "The protocol", read from
 * awsdocs/amazon-kinesis-data-firehose-developer-guide `doc_source/httpdeliveryrequestresponse.md` @ 46e1e1e8;
 * live: https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html).
 *
 * Request: `POST`, `Content-Type: application/json`, headers below, body `{"requestId","timestamp","records":[{"data":"<base64>"}]}` (≤ 64 MiB
 * before compression, 1..10000 records, each `data` ≤ 1,024,000 bytes decoded and possibly empty).
 * Response: `Content-Type: application/json`, no Content-Encoding, a Content-Length, body
 * `{"requestId":<the request's>,"timestamp":<epoch ms>}` plus `"errorMessage"` (≤ 8192 chars) on failure.
 * 200 = stored; 413 = permanent failure; any other 4xx/5xx is retried with backoff, with the same request id.
 */

/** Request headers (Node lower-cases header names). */
export const FirehoseHeader = {
  PROTOCOL_VERSION: 'x-amz-firehose-protocol-version',
  /** The same across retries of one delivery: the dedupe key. */
  REQUEST_ID: 'x-amz-firehose-request-id',
  /** `arn:aws:firehose:<region>:<account>:deliverystream/<name>` */
  SOURCE_ARN: 'x-amz-firehose-source-arn',
  /** The endpoint's configured access key, verbatim (≤ 4096 bytes). A secret: never logged or stored. */
  ACCESS_KEY: 'x-amz-firehose-access-key',
  /** `{"commonAttributes":{"k":"v",…}}` (≤ 50 attributes). */
  COMMON_ATTRIBUTES: 'x-amz-firehose-common-attributes',
} as const;

/** The largest body Firehose sends, before compression: 64 MiB. */
export const FIREHOSE_MAX_BODY_BYTES = 64 * 1024 * 1024;
/** The most records one delivery holds. */
export const FIREHOSE_MAX_RECORDS = 10_000;
/** Firehose's bound on the response's errorMessage. */
export const FIREHOSE_MAX_ERROR_MESSAGE = 8192;

/** The request body. `requestId` and `records` are required; `timestamp` is epoch ms. */
export interface FirehoseRequestBody {
  readonly requestId: string;
  readonly timestamp?: number;
  readonly records: readonly { readonly data: string }[];
}

/** The response body Firehose requires; anything else counts as a 500. */
export interface FirehoseResponseBody {
  readonly requestId: string;
  readonly timestamp: number;
  readonly errorMessage?: string;
}

/** The statuses this endpoint answers with. */
export const FirehoseStatus = {
  OK: 200,
  /** Malformed request (bad JSON, missing fields, bad base64, request ids that disagree). Retried. */
  BAD_REQUEST: 400,
  /** Missing or wrong access key. Retried: a key rotated on one side only heals without losing data. */
  UNAUTHORIZED: 401,
  /** No such source (or the endpoint has none configured). */
  NOT_FOUND: 404,
  /** Above the body limit, compressed or not. Firehose treats it as permanent (the S3 error bucket). */
  TOO_LARGE: 413,
  /** A `Content-Type` other than `application/json`, the only one Firehose sends. Retried. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** The warehouse could not store the delivery, or a bug. Retried, and the retry dedupes. */
  INTERNAL: 500,
} as const;
export type FirehoseStatus = (typeof FirehoseStatus)[keyof typeof FirehoseStatus];

export function firehoseResponseBody(requestId: string, errorMessage?: string, now: number = Date.now()): FirehoseResponseBody {
  return errorMessage === undefined
    ? { requestId, timestamp: now }
    : { requestId, timestamp: now, errorMessage: errorMessage.slice(0, FIREHOSE_MAX_ERROR_MESSAGE) };
}
