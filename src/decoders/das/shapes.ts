/**
 * Telling the DAS shapes apart (docs/formats/das.md "Kinesis record and versions"): the Kinesis record, the decrypted activity record, and
 * a bare activity event (doc and lab samples). Also `recognizes()` for `--format auto`, which must not claim
 * Debezium envelopes, Maxwell rows or PostgreSQL jsonlog lines (`user`, `dbname`, `message`).
 */
import { isPlainObject } from '../../model/json.js';
import {
  ACTIVITY_RECORD_TYPE,
  DAS_EVENT_FIELDS,
  HEARTBEAT_TYPE,
  KINESIS_RECORD_TYPE,
  type DasActivityEvent,
  type DasActivityRecord,
  type DasKinesisRecord,
} from './payload.js';

type Obj = Record<string, unknown>;

export function isKinesisRecord(v: unknown): v is Obj & DasKinesisRecord {
  return isPlainObject(v) && (v['type'] === KINESIS_RECORD_TYPE || ('databaseActivityEvents' in v && 'key' in v));
}

export function isActivityRecord(v: unknown): v is Obj & DasActivityRecord {
  return isPlainObject(v) && (v['type'] === ACTIVITY_RECORD_TYPE || Array.isArray(v['databaseActivityEventList']));
}

/**
 * An activity event or heartbeat on its own: `class` (or `type: record`) with `dbUserName` or `logTime`; or
 * `type: heartbeat` with DAS event fields only (Maxwell has `"type":"heartbeat"` rows too, with `database`,
 * `table`, `data`).
 */
export function isBareEvent(v: unknown): v is Obj & DasActivityEvent {
  if (!isPlainObject(v) || isKinesisRecord(v) || isActivityRecord(v)) return false;
  if (('op' in v && 'source' in v) || ('schema' in v && 'payload' in v)) return false; // Debezium
  if (v['type'] === HEARTBEAT_TYPE) return Object.keys(v).every((k) => DAS_EVENT_FIELDS.has(k));
  const typed = typeof v['class'] === 'string' || v['type'] === 'record';
  return typed && ('dbUserName' in v || 'logTime' in v);
}

export const isHeartbeat = (event: DasActivityEvent) => event.type === HEARTBEAT_TYPE;

function isDasObject(v: unknown): boolean {
  return isKinesisRecord(v) || isActivityRecord(v) || isBareEvent(v);
}

/** For `--format auto`: a DAS record, activity record, bare event, or a non-empty array of those. */
export function recognizesDas(value: unknown): boolean {
  if (!Array.isArray(value)) return isDasObject(value);
  return value.length > 0 && value.every((v) => isDasObject(v) || (Array.isArray(v) && v.length > 0 && v.every(isDasObject)));
}
