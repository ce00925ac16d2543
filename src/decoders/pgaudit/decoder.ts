/**
 * The pgAudit decoder (PGA README "Format", PG runtime-config-logging; docs/formats/pgaudit.md).
 *
 * A record is one framed log entry: a stderr entry (log_line_prefix + severity + message, maybe several
 * lines), a csvlog record, or a jsonlog object. Entries at a pgAudit severity whose message starts with
 * `AUDIT:` become one ActivityEvent each (an OBJECT audit of several relations is several entries, hence
 * several events with the same statement id).
 *
 * Skip or dead letter: a skip (NOT_AUDIT) is only for what is proven not to be audit data — an entry read
 * in full whose message is not an AUDIT message, or text that carries no `AUDIT:` at all. Everything else
 * that cannot be read is a DecodeError, so it is dead-lettered with its bytes: an AUDIT message that does
 * not parse, a csvlog-shaped record that is not valid csvlog (its message column may be an AUDIT one), and
 * text with `AUDIT:` that matches no log_line_prefix. The last is not decoded with the prefix fields
 * unknown: its position is the hash of its text, so an event stored without them would absorb, as a
 * duplicate, the complete one a re-ingest with the right --log-line-prefix yields.
 *
 * The log_line_prefix comes from ctx.logLinePrefix; unset, the defaults in log-line-prefix.ts are tried.
 * With ctx.serverLog (`--server-log`), the server's own log_statement, connection and error messages are
 * activity too (server-log.ts): a server without pgAudit still says who ran what and whose login failed.
 */
import { undecodable } from '../../errors.js';
import { parseJsonLossless } from '../../model/lossless-json.js';
import { emit, skip, type DecodeContext, type DecodeResult, type Decoder, type LogFramer, type RawRecord } from '../decoder.js';
import { parseAuditPayload } from './audit-payload.js';
import { CSVLOG_START, parseCsvlogRecord } from './csvlog.js';
import { mentionsAudit, recognizesLogEntry } from './detect.js';
import { PgLogFramer } from './framer.js';
import { isJsonlogRecord, jsonlogEntry } from './jsonlog.js';
import { AUDIT_MARKER, AUDIT_SEVERITIES, type LogEntry } from './log-entry.js';
import { prefixSetFor } from './log-line-prefix.js';
import { serverLogActivity } from './server-log.js';
import { parseStderrEntry } from './stderr-entry.js';
import { toActivity } from './to-activity.js';

export { looksLikePgauditLog } from './detect.js';

/** `AUDIT:` without its space: a message that starts so is audit data, read or dead-lettered. */
const AUDIT_LABEL = AUDIT_MARKER.trimEnd();

function entryOf(text: string, ctx: DecodeContext): LogEntry | null {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    const value = parseJsonLossless(trimmed);
    if (!isJsonlogRecord(value)) throw undecodable('JSON record is not a PostgreSQL jsonlog record');
    return jsonlogEntry(value);
  }
  const stderr = parseStderrEntry(text, prefixSetFor(ctx.logLinePrefix));
  if (stderr) return stderr;
  if (CSVLOG_START.test(text)) {
    const csv = parseCsvlogRecord(text);
    if (csv.ok) return csv.entry;
    throw undecodable(csv.reason);
  }
  if (mentionsAudit(text)) {
    throw undecodable(
      ctx.logLinePrefix === undefined
        ? 'pgAudit entry matches none of the default log_line_prefix forms; configure the server\'s log_line_prefix'
        : 'pgAudit entry does not match the configured log_line_prefix',
    );
  }
  return null;
}

export function decodePgaudit(record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (record.value === null) return skip('TOMBSTONE');
  const text = record.value.toString('utf8');
  if (text.trim() === '') return skip('EMPTY');
  const entry = entryOf(text, ctx);
  if (!entry) return skip('NOT_AUDIT');
  if (!AUDIT_SEVERITIES.has(entry.severity) || !entry.message.startsWith(AUDIT_LABEL)) {
    // Without pgAudit: the server's own statement, connection and failed-login messages (server-log.ts).
    const own = ctx.serverLog ? serverLogActivity(record.position, entry) : null;
    return own ? emit(own) : skip('NOT_AUDIT');
  }
  return emit(toActivity(record.position, entry, parseAuditPayload(entry.message)));
}

export const pgauditDecoder: Decoder = Object.freeze({
  format: 'pgaudit',
  recognizes: isJsonlogRecord,
  decode: decodePgaudit,
  createLogFramer: (ctx: DecodeContext): LogFramer => new PgLogFramer(prefixSetFor(ctx.logLinePrefix)),
  recognizesText: (text: string, ctx: DecodeContext): boolean => recognizesLogEntry(text, ctx.logLinePrefix),
});
