/**
 * Decode one record, never throwing: events (positioned `#n` when a record yields several), a skip, or a
 * dead letter with a stable code and a message safe to store (no row values). A record the transport could
 * not frame, or whose bytes are not UTF-8, is dead-lettered without decoding; decoded events are checked
 * against what PostgreSQL can store (validate-event.ts) before they go anywhere near SQL.
 */
import { isUtf8 } from 'node:buffer';
import type { DecodeContext, Decoder, SkipReason } from '../decoders/decoder.js';
import type { RawRecord } from '../contracts/records.js';
import { AuditqlError, ErrorCode, type ErrorCode as Code } from '../errors.js';
import { withPosition, type AuditEvent } from '../model/events.js';
import { withServer } from './server-identity.js';
import { unstorable } from './validate-event.js';

export type DecodedRecord =
  | { readonly kind: 'events'; readonly events: readonly AuditEvent[]; readonly skipped?: SkipReason }
  | { readonly kind: 'dead'; readonly code: Code; readonly message: string };

export function positionEvents(record: RawRecord, events: readonly AuditEvent[]): readonly AuditEvent[] {
  if (events.length === 1) return events[0]!.position === record.position ? events : [withPosition(events[0]!, record.position)];
  return events.map((e, i) => withPosition(e, `${record.position}#${i}`));
}

const dead = (code: Code, message: string): DecodedRecord => ({ kind: 'dead', code, message });

function deadOf(err: unknown): DecodedRecord {
  if (err instanceof AuditqlError) return dead(err.code, err.message);
  if (err instanceof SyntaxError) {
    // Node's JSON.parse messages quote part of the input: keep only where it failed.
    const at = /position (\d+)/.exec(err.message);
    return dead(ErrorCode.UNDECODABLE_RECORD, at ? `not valid JSON (at byte ${at[1]})` : 'not valid JSON');
  }
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return dead(ErrorCode.UNSUPPORTED_RECORD, 'the record nests values too deeply to decode');
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return dead(ErrorCode.UNDECODABLE_RECORD, message);
}

/** Why a record is dead before decoding, or null. */
function rawProblem(record: RawRecord): DecodedRecord | null {
  if (record.framingError !== undefined) return dead(ErrorCode.UNDECODABLE_RECORD, record.framingError);
  if (record.value && !isUtf8(record.value)) return dead(ErrorCode.UNDECODABLE_RECORD, 'the record is not valid UTF-8 text');
  return null;
}

export async function decodeRecord(decoder: Decoder, record: RawRecord, ctx: DecodeContext): Promise<DecodedRecord> {
  const before = rawProblem(record);
  if (before) return before;
  try {
    const result = await decoder.decode(record, ctx);
    if (result.events.length === 0) return { kind: 'events', events: [], skipped: result.skipped ?? 'EMPTY' };
    const events = positionEvents(record, result.events);
    for (const e of events) {
      const problem = unstorable(e);
      if (problem) return dead(ErrorCode.UNSUPPORTED_RECORD, problem);
    }
    return { kind: 'events', events: ctx.server === undefined ? events : events.map((e) => withServer(e, ctx.server!)) };
  } catch (err) {
    return deadOf(err);
  }
}
