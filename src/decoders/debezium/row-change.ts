/**
 * A data event (op c/u/d/r/t) → one `change` (docs/formats/debezium.md "Envelope" to "Replica identity and TOAST"):
 * - c → INSERT, u → UPDATE, d → DELETE, r → SNAPSHOT, t → TRUNCATE (key `{}`, keySource NONE, no images);
 * - `before` / `after` decoded with the value schema (values.ts), TOAST placeholders removed and listed in
 *   unknownBefore / unknownAfter (toast.ts), completeness judged by before-image.ts;
 * - key: the Kafka record key (RECORD_KEY), else `--key`, a column `id`, or the whole row (row-key.ts);
 * - txId / txOrder per transaction-id.ts; committedAt per event-time.ts;
 * - extra: the source's position facts (source-info.ts), the topic, and on primary-key updates the
 *   `__debezium.newkey` (on the delete) / `__debezium.oldkey` (on the create) headers as `newkey` / `oldkey`.
 */
import { change, type ChangeEvent, type KeySource, type Operation } from '../../model/events.js';
import { deriveChangedFields } from '../../model/changed-fields.js';
import type { Json, JsonRow } from '../../model/json.js';
import { resolveKey } from '../../model/row-key.js';
import { undecodable } from '../../errors.js';
import type { DecodeContext, RawRecord } from '../decoder.js';
import { NEW_KEY_HEADER, OLD_KEY_HEADER, type ChangePayload, type ConnectSchema } from './envelope.js';
import { fieldNames, fieldSchema } from './connect-json.js';
import { decodeImage } from './values.js';
import { assessBefore } from './before-image.js';
import { eventTime } from './event-time.js';
import { keyHeaderOf, recordKeyOf } from './record-key.js';
import { sourceInfo, type SourceInfo } from './source-info.js';
import { txPosition } from './transaction-id.js';

export const ROW_OPERATIONS: Readonly<Record<string, Operation>> = { c: 'INSERT', u: 'UPDATE', d: 'DELETE', r: 'SNAPSHOT', t: 'TRUNCATE' };

/** Key sources that name the identifying columns (as opposed to the whole row image, or none). */
const NAMED_KEY: ReadonlySet<KeySource> = new Set(['RECORD_KEY', 'SOURCE_PK', 'CONFIGURED', 'ID_COLUMN']);

/** The source block's facts (a fresh object per event, so it is filled in here), then the topic and key headers. */
function extraOf(info: SourceInfo, record: RawRecord): Record<string, Json> {
  const out = info.extra as Record<string, Json>;
  if (record.topic) out['topic'] = record.topic;
  const newKey = record.headers?.[NEW_KEY_HEADER];
  const oldKey = record.headers?.[OLD_KEY_HEADER];
  if (newKey !== undefined) out['newkey'] = keyHeaderOf(newKey);
  if (oldKey !== undefined) out['oldkey'] = keyHeaderOf(oldKey);
  return out;
}

export function rowChange(
  operation: Operation,
  payload: ChangePayload,
  valueSchema: ConnectSchema | null,
  record: RawRecord,
  ctx: DecodeContext,
): ChangeEvent {
  const info = sourceInfo(payload.source);
  const table = info.table;
  if (table === null) throw undecodable('Debezium change has no source.table');

  const truncate = operation === 'TRUNCATE';
  const beforeSchema = fieldSchema(valueSchema, 'before');
  const afterSchema = fieldSchema(valueSchema, 'after');
  const before = truncate ? null : decodeImage(beforeSchema, payload.before, 'before');
  const after = truncate || operation === 'DELETE' ? null : decodeImage(afterSchema, payload.after, 'after');
  if (!truncate && operation !== 'DELETE' && after === null) throw undecodable(`Debezium ${operation} event has no payload.after`);

  const { key, keySource } = truncate
    ? { key: {} as JsonRow, keySource: 'NONE' as const }
    : resolveKey({
        recordKey: recordKeyOf(record.key),
        database: info.database,
        schema: info.schema,
        table,
        row: operation === 'DELETE' ? (before?.row ?? null) : after!.row,
        keyColumns: ctx.keyColumns,
      });

  const tableColumns = fieldNames(afterSchema ?? beforeSchema);
  const assessed = assessBefore(operation, before, after, NAMED_KEY.has(keySource) ? Object.keys(key) : null, tableColumns);
  const unknownBefore = before?.unknown ?? [];
  const unknownAfter = after?.unknown ?? [];
  const changedFields = deriveChangedFields({
    before: assessed.before,
    after: after?.row ?? null,
    beforeComplete: assessed.beforeComplete,
    unknownBefore,
    unknownAfter,
  });
  const time = eventTime(payload.source, payload);
  const tx = txPosition(info, payload.transaction);

  return change({
    format: 'debezium',
    position: record.position,
    operation,
    database: info.database,
    schema: info.schema,
    table,
    key,
    keySource,
    before: assessed.before,
    after: after?.row ?? null,
    beforeComplete: assessed.beforeComplete,
    unknownBefore,
    unknownAfter,
    changedFields,
    txId: tx.txId,
    txOrder: tx.txOrder,
    committedAt: time.at,
    committedAtSource: time.from,
    origin: info.origin,
    extra: extraOf(info, record),
  });
}
