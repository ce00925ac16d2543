/**
 * Reads a delivery's body, bounded. The limit is on the *uncompressed* size (Firehose: ≤ 64 MiB before
 * compression), so a gzip body is bounded twice: on the wire (the limit plus deflate's worst-case expansion)
 * and when inflated (`maxOutputLength`), which stops a gzip bomb before it is in memory. Above either bound
 * the delivery is refused with 413 and the rest of the body is read and discarded, so the response still
 * reaches the client.
 */
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { FirehoseStatus } from './protocol.js';
import { FirehoseRejection } from './rejection.js';

const gunzipAsync = promisify(gunzip);

type Encoding = 'identity' | 'gzip';

const tooLarge = (maxBytes: number) =>
  new FirehoseRejection(FirehoseStatus.TOO_LARGE, `request body is larger than ${maxBytes} bytes uncompressed`);

/**
 * `Content-Type` must be `application/json` (parameters such as `charset=utf-8` allowed), as Firehose
 * sends it; anything else, or none, is refused with 415 before the body is read.
 */
export function checkContentType(req: IncomingMessage): void {
  const raw = req.headers['content-type'] ?? '';
  const media = raw.split(';', 1)[0]!.trim().toLowerCase();
  if (media !== 'application/json') {
    throw new FirehoseRejection(FirehoseStatus.UNSUPPORTED_MEDIA_TYPE, 'unsupported Content-Type: expected application/json');
  }
}

/** `Content-Encoding`: absent (or identity) or gzip, as Firehose sends it; anything else is refused. */
export function contentEncodingOf(req: IncomingMessage): Encoding {
  const raw = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'identity') return 'identity';
  if (raw === 'gzip' || raw === 'x-gzip') return 'gzip';
  throw new FirehoseRejection(FirehoseStatus.BAD_REQUEST, 'unsupported Content-Encoding: expected gzip or none');
}

/** How many bytes may arrive on the wire: deflate adds at most ~0.03% (stored blocks) plus the gzip framing. */
const wireLimit = (encoding: Encoding, maxBytes: number) =>
  encoding === 'gzip' ? maxBytes + Math.ceil(maxBytes / 1000) + 1024 : maxBytes;

/** Refuse on `Content-Length` alone, before reading anything. */
export function checkDeclaredLength(req: IncomingMessage, encoding: Encoding, maxBytes: number): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > wireLimit(encoding, maxBytes)) throw tooLarge(maxBytes);
}

function collect(req: IncomingMessage, limit: number, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (err: Error | null, body?: Buffer) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err) reject(err);
      else resolve(body!);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        settle(tooLarge(maxBytes));
        req.resume(); // discard the rest: the 413 must still reach the client
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => settle(null, Buffer.concat(chunks, size));
    const ended = () => new FirehoseRejection(FirehoseStatus.BAD_REQUEST, 'the request body ended before it was complete');
    const onError = () => settle(ended());
    const onClose = () => {
      if (!req.complete) settle(ended());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** The body's bytes, uncompressed, at most `maxBytes`. Throws FirehoseRejection (400, 413). */
export async function readDeliveryBody(req: IncomingMessage, encoding: Encoding, maxBytes: number): Promise<Buffer> {
  const wire = await collect(req, wireLimit(encoding, maxBytes), maxBytes);
  if (encoding === 'identity') return wire;
  try {
    return await gunzipAsync(wire, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes);
    throw new FirehoseRejection(FirehoseStatus.BAD_REQUEST, 'request body is not valid gzip');
  }
}
