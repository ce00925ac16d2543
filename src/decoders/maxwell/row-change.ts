/**
 * A Maxwell row event (insert, update, delete, bootstrap-insert) → one `change` (docs/formats/maxwell.md "Row messages"):
 * - `data` is the row after the change; for a delete, the row before it. `old` (updates) holds only the
 *   changed columns' previous values, so the before image is `data` merged with `old` — complete, given
 *   Maxwell's required `binlog_row_image=FULL` — and the changed fields are the `old` columns whose value
 *   differs from the new one.
 * - `xid` → txId (text), `xoffset` → txOrder, `ts` (epoch seconds) → committedAt; `server_id` and
 *   `thread_id` → origin (the binlog has no user); the rest of the metadata (`commit`, `position`, `gtid`,
 *   `schema_id`, `push_ts`, `query`, `comment`, extra attributes) is kept in `extra`.
 */
import { change, type ChangeEvent, type Operation } from '../../model/events.js';
import { deriveChangedFields } from '../../model/changed-fields.js';
import { isPlainObject, type Json, type JsonRow } from '../../model/json.js';
import { DecodeError, ErrorCode } from '../../errors.js';
import type { DecodeContext, RawRecord } from '../decoder.js';
import { changeKey } from './change-key.js';
import { rowTime } from './epoch.js';
import type { Encryption } from './read-message.js';
import type { MaxwellRowType } from './payload.js';

const OPERATIONS: Readonly<Record<MaxwellRowType, Operation>> = {
  insert: 'INSERT',
  update: 'UPDATE',
  delete: 'DELETE',
  'bootstrap-insert': 'SNAPSHOT',
};

/** Fields mapped onto the event itself; every other top-level field goes to `extra` as it is. */
const MAPPED = new Set(['database', 'table', 'type', 'ts', 'xid', 'xoffset', 'data', 'old', 'primary_key', 'primary_key_columns']);

const undecodable = (what: string) => new DecodeError(ErrorCode.UNDECODABLE_RECORD, `Maxwell row event: ${what}`);

/** `table` and `database` of a row event (database may be absent: dataformat.md samples omit it). */
export function rowTarget(fields: Readonly<Record<string, unknown>>): { database: string | null; table: string } {
  const { table, database } = fields;
  if (typeof table !== 'string' || table === '') throw undecodable('`table` is missing or not a string');
  if (database !== undefined && database !== null && typeof database !== 'string') {
    throw undecodable('`database` is not a string');
  }
  return { database: database ?? null, table };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function rowOf(value: unknown, name: 'data' | 'old'): JsonRow {
  if (typeof value === 'string' && value.length % 4 === 0 && BASE64.test(value)) {
    // Releases before `"encrypted":{iv,bytes}` replaced `data`/`old` with base64 ciphertext under a fixed IV.
    throw new DecodeError(ErrorCode.UNSUPPORTED_RECORD, `Maxwell row event: \`${name}\` is a string (legacy encryption), not a row`);
  }
  if (!isPlainObject(value)) throw undecodable(`\`${name}\` is missing or not an object`);
  return value as JsonRow;
}

/** An id Maxwell prints as a number (a decimal string past 2^53) → text; anything else → null. */
function idText(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
  return null;
}

function stringArray(value: unknown): readonly string[] | null {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : null;
}

export function rowChange(
  type: MaxwellRowType,
  fields: Readonly<Record<string, unknown>>,
  encryption: Encryption | null,
  record: RawRecord,
  ctx: DecodeContext,
): ChangeEvent {
  const { database, table } = rowTarget(fields);
  const operation = OPERATIONS[type];
  const data = rowOf(fields['data'], 'data');
  const old = operation === 'UPDATE' && fields['old'] !== undefined && fields['old'] !== null ? rowOf(fields['old'], 'old') : null;

  const before: JsonRow | null = operation === 'DELETE' ? data : operation === 'UPDATE' ? { ...data, ...old } : null;
  const after: JsonRow | null = operation === 'DELETE' ? null : data;
  const image = { before, after, beforeComplete: true, unknownBefore: [], unknownAfter: [] };

  const { key, keySource } = changeKey(
    {
      database,
      table,
      row: data,
      pkColumns: stringArray(fields['primary_key_columns']),
      pkValues: Array.isArray(fields['primary_key']) ? (fields['primary_key'] as Json[]) : null,
    },
    record,
    ctx,
  );

  const extra: Record<string, Json> = {};
  for (const [name, value] of Object.entries(fields)) if (!MAPPED.has(name)) extra[name] = value as Json;
  if (encryption) extra['encrypted'] = encryption;

  const time = rowTime(fields['ts']);
  const xoffset = fields['xoffset'];
  return change({
    format: 'maxwell',
    position: record.position,
    operation,
    database,
    schema: null,
    table,
    key,
    keySource,
    ...image,
    changedFields: deriveChangedFields(image),
    txId: idText(fields['xid']),
    txOrder: typeof xoffset === 'number' && Number.isSafeInteger(xoffset) ? xoffset : null,
    committedAt: time.at,
    committedAtSource: time.source,
    origin: { server: idText(fields['server_id']), connection: idText(fields['thread_id']), user: null },
    extra,
  });
}
