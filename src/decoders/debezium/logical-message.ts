/**
 * A PostgreSQL logical decoding message (op `m`, docs/formats/debezium.md "Envelope", "Special records"), written by
 * `pg_logical_emit_message(transactional, prefix, content)`:
 * `{op:"m", source{… txId (transactional only), schema:"", table:""}, message{prefix, content}}`.
 * - prefix = ctx.contextPrefix and transactional (source.txId set) → a `context` event for that transaction:
 *   content is base64 (binary.handling.mode=bytes, the default) → UTF-8 text → a JSON object when it parses
 *   to one, else `{raw: text}`; appUser = content.user when it is a string.
 * - prefix = ctx.contextPrefix but not transactional → skipped as NON_TRANSACTIONAL_MESSAGE: with no txId it
 *   cannot be tied to any change, and a guess would attribute changes to the wrong actor.
 * - any other prefix → skipped as NOT_AUDIT (another application's messages).
 */
import { context } from '../../model/events.js';
import { isPlainObject, type JsonRow } from '../../model/json.js';
import { parseJsonLossless } from '../../model/lossless-json.js';
import { undecodable } from '../../errors.js';
import { emit, skip, type DecodeContext, type DecodeResult, type RawRecord } from '../decoder.js';
import type { ChangePayload } from './envelope.js';
import { eventTime } from './event-time.js';
import { sourceInfo } from './source-info.js';
import { textOf } from './scalars.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Message content → JSON object, or `{raw: text}`; bytes that are not UTF-8 text (or hold NUL, which
 * PostgreSQL text cannot) → `{base64: "<content as sent>"}`.
 */
export function messageContent(content: unknown): JsonRow {
  if (content === null || content === undefined) return { raw: '' };
  if (typeof content !== 'string') throw undecodable('Debezium message.content is not bytes');
  let text = content;
  if (BASE64.test(content) && content.length % 4 === 0) {
    const bytes = Buffer.from(content, 'base64');
    text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes) || text.includes('\u0000')) return { base64: content };
  }
  try {
    const parsed = parseJsonLossless(text);
    if (isPlainObject(parsed)) return parsed as JsonRow;
  } catch {
    // not JSON: kept as text
  }
  return { raw: text };
}

export function logicalMessage(payload: ChangePayload, record: RawRecord, ctx: DecodeContext): DecodeResult {
  const message = payload.message;
  if (!isPlainObject(message) || typeof message['prefix'] !== 'string') throw undecodable('Debezium message event has no message.prefix');
  const prefix = message['prefix'];
  if (prefix !== ctx.contextPrefix) return skip('NOT_AUDIT');
  const info = sourceInfo(payload.source);
  const txId = textOf(info.block.txId);
  if (txId === null) return skip('NON_TRANSACTIONAL_MESSAGE');
  const content = messageContent(message['content']);
  const user = content['user'];
  return emit(
    context({
      format: 'debezium',
      position: record.position,
      txId,
      server: info.origin.server,
      prefix,
      transactional: true,
      content,
      appUser: typeof user === 'string' ? user : null,
      occurredAt: eventTime(payload.source, payload).at,
    }),
  );
}
