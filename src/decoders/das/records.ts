/**
 * From one parsed record value to its activity events, whatever the shape (docs/formats/das.md "Shapes accepted"):
 * - the Kinesis record `{"type":"DatabaseActivityMonitoringRecords","version","databaseActivityEvents":"<base64>","key":"<base64>"}`
 *   (decrypted through decrypt.ts);
 * - the AWS doc form, where `databaseActivityEvents` is the decrypted record itself (or its JSON text) and
 *   `key` is a placeholder such as `"decryption-key"`;
 * - the decrypted `DatabaseActivityMonitoringRecord` (`clusterId`, `instanceId`, `databaseActivityEventList`);
 * - a bare event, and arrays of any of these (one level of nesting inside the record: a file item that is
 *   itself an array of events).
 * Anything else throws DecodeError: a record is never half-read.
 */
import type { DecodeContext } from '../decoder.js';
import { undecodable } from '../../errors.js';
import { isPlainObject } from '../../model/json.js';
import { parseJsonLossless } from '../../model/lossless-json.js';
import { decryptActivityEvents } from './decrypt.js';
import type { DasActivityEvent } from './payload.js';
import { isActivityRecord, isBareEvent, isKinesisRecord } from './shapes.js';
import { text } from './values.js';

/** What the enclosing records say about an event. */
export interface RecordMeta {
  /** The Kinesis record's `version` (1.0–1.4), when the event came inside one. */
  readonly version: string | null;
  readonly clusterId: string | null;
  readonly instanceId: string | null;
}

export interface EventInput {
  readonly meta: RecordMeta;
  readonly event: DasActivityEvent;
}

const NO_META: RecordMeta = Object.freeze({ version: null, clusterId: null, instanceId: null });
const MAX_DEPTH = 4;

/** JSON text → value, keeping every digit; the error names the field, never the content. */
export function parseJson(textValue: string, what: string): unknown {
  try {
    return parseJsonLossless(textValue);
  } catch {
    throw undecodable(`${what} is not valid JSON`);
  }
}

async function innerOf(record: Record<string, unknown>, ctx: DecodeContext, topic: string | undefined): Promise<unknown> {
  const events = record['databaseActivityEvents'];
  if (isPlainObject(events) || Array.isArray(events)) return events; // the AWS doc form
  if (typeof events !== 'string') throw undecodable('DAS record has no databaseActivityEvents');
  const trimmed = events.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return parseJson(trimmed, 'DAS databaseActivityEvents');
  const key = record['key'];
  if (typeof key !== 'string') throw undecodable('DAS record has encrypted databaseActivityEvents but no key');
  const plaintext = await decryptActivityEvents(events, key, ctx, topic);
  return parseJson(plaintext, 'DAS decrypted databaseActivityEvents');
}

async function collect(
  value: unknown,
  ctx: DecodeContext,
  topic: string | undefined,
  meta: RecordMeta,
  depth: number,
  out: EventInput[],
): Promise<void> {
  if (depth > MAX_DEPTH) throw undecodable('DAS record nests too deeply');
  if (Array.isArray(value)) {
    for (const item of value) await collect(item, ctx, topic, meta, depth + 1, out);
    return;
  }
  if (isKinesisRecord(value)) {
    const inner = await innerOf(value, ctx, topic);
    const version = text(value.version) ?? meta.version;
    if (!isActivityRecord(inner) && !Array.isArray(inner) && !isBareEvent(inner)) {
      throw undecodable('DAS databaseActivityEvents is not a DatabaseActivityMonitoringRecord');
    }
    await collect(inner, ctx, topic, { ...meta, version }, depth + 1, out);
    return;
  }
  if (isActivityRecord(value)) {
    const list = value.databaseActivityEventList;
    if (!Array.isArray(list)) throw undecodable('DAS databaseActivityEventList is not an array');
    const recordMeta: RecordMeta = { version: meta.version, clusterId: text(value.clusterId), instanceId: text(value.instanceId) };
    list.forEach((event, i) => {
      if (!isPlainObject(event)) throw undecodable(`DAS databaseActivityEventList[${i}] is not an object`);
      out.push({ meta: recordMeta, event });
    });
    return;
  }
  if (isBareEvent(value)) {
    out.push({ meta, event: value });
    return;
  }
  throw undecodable(
    'not a Database Activity Streams record (expected DatabaseActivityMonitoringRecords, DatabaseActivityMonitoringRecord or an activity event)',
  );
}

/** Every event (heartbeats included) a record value holds, decrypting where needed. */
export async function eventsOf(value: unknown, ctx: DecodeContext, topic?: string): Promise<EventInput[]> {
  const out: EventInput[] = [];
  await collect(value, ctx, topic, NO_META, 0, out);
  return out;
}
