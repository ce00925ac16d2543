/**
 * Decode one record, never throwing: events (positioned `#n` when a record yields several), a skip, or a
 * dead letter with a stable code and a message safe to store (no row values).
 */
import type { DecodeContext, Decoder, SkipReason } from '../decoders/decoder.js';
import type { RawRecord } from '../contracts/records.js';
import { AuditqlError, ErrorCode, type ErrorCode as Code } from '../errors.js';
import { withPosition, type AuditEvent } from '../model/events.js';
import { withServer } from './server-identity.js';

export type DecodedRecord =
  | { readonly kind: 'events'; readonly events: readonly AuditEvent[]; readonly skipped?: SkipReason }
  | { readonly kind: 'dead'; readonly code: Code; readonly message: string };

export function positionEvents(record: RawRecord, events: readonly AuditEvent[]): readonly AuditEvent[] {
  if (events.length === 1) return events[0]!.position === record.position ? events : [withPosition(events[0]!, record.position)];
  return events.map((e, i) => withPosition(e, `${record.position}#${i}`));
}

function deadOf(err: unknown): DecodedRecord {
  if (err instanceof AuditqlError) return { kind: 'dead', code: err.code, message: err.message };
  if (err instanceof SyntaxError) {
    // Node's JSON.parse messages quote part of the input: keep only where it failed.
    const at = /position (\d+)/.exec(err.message);
    return { kind: 'dead', code: ErrorCode.UNDECODABLE_RECORD, message: at ? `not valid JSON (at byte ${at[1]})` : 'not valid JSON' };
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { kind: 'dead', code: ErrorCode.UNDECODABLE_RECORD, message };
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000: such an event would fail its whole batch. A cheap byte scan
 * of the raw record decides whether the decoded events need checking at all.
 */
function holdsNul(record: RawRecord, events: readonly AuditEvent[]): boolean {
  const v = record.value;
  if (!v || (v.indexOf(0) < 0 && v.indexOf('\\u0000') < 0)) return false;
  return JSON.stringify(events).includes('\\u0000');
}

export async function decodeRecord(decoder: Decoder, record: RawRecord, ctx: DecodeContext): Promise<DecodedRecord> {
  try {
    const result = await decoder.decode(record, ctx);
    if (result.events.length === 0) return { kind: 'events', events: [], skipped: result.skipped ?? 'EMPTY' };
    if (holdsNul(record, result.events)) {
      return { kind: 'dead', code: ErrorCode.UNSUPPORTED_RECORD, message: 'a value holds a NUL character (U+0000), which PostgreSQL text and jsonb cannot store' };
    }
    const events = positionEvents(record, result.events);
    return { kind: 'events', events: ctx.server === undefined ? events : events.map((e) => withServer(e, ctx.server!)) };
  } catch (err) {
    return deadOf(err);
  }
}
