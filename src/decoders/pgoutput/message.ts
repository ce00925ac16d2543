/**
 * A logical decoding message (`pg_logical_emit_message(transactional, prefix, content)`) → application
 * context (docs/attribution.md, docs/formats/pgoutput.md "Application context"):
 * - prefix = ctx.contextPrefix and transactional → a `context` event for its transaction: content that
 *   parses to a JSON object is the content, other text is `{raw: text}`, bytes that are not UTF-8 are
 *   `{base64: …}`; appUser = content.user when it is a string; occurredAt = the commit timestamp;
 * - prefix = ctx.contextPrefix but not transactional → NON_TRANSACTIONAL_MESSAGE: with no transaction it
 *   cannot be tied to any change, and a guess could attribute changes to the wrong actor;
 * - any other prefix → NOT_AUDIT (another application's messages, heartbeats).
 */
import { context } from '../../model/events.js';
import { isPlainObject, type JsonRow } from '../../model/json.js';
import { parseJsonLossless } from '../../model/lossless-json.js';
import { emit, skip, type DecodeContext, type DecodeResult, type RawRecord } from '../decoder.js';
import type { MessageRecord } from './record.js';

function contentOf(rec: MessageRecord): JsonRow {
  if (rec.content === undefined) return { base64: rec.contentBase64 ?? '' };
  try {
    const parsed = parseJsonLossless(rec.content);
    if (isPlainObject(parsed)) return parsed as JsonRow;
  } catch {
    // not JSON: kept as text
  }
  return { raw: rec.content };
}

export function logicalMessage(rec: MessageRecord, record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (rec.prefix !== ctx.contextPrefix) return skip('NOT_AUDIT');
  if (!rec.transactional || rec.xid === null) return skip('NON_TRANSACTIONAL_MESSAGE');
  const content = contentOf(rec);
  const user = content['user'];
  return emit(
    context({
      format: 'pgoutput',
      position: record.position,
      txId: rec.xid,
      server: rec.source.systemId,
      prefix: rec.prefix,
      transactional: true,
      content,
      appUser: typeof user === 'string' ? user : null,
      occurredAt: rec.commitTime ? new Date(rec.commitTime) : null,
    }),
  );
}
