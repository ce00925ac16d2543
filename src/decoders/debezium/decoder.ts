/**
 * The Debezium decoder (PostgreSQL and MySQL connectors, JsonConverter with or without schemas): one Kafka
 * record value → normalized events. Pure: no I/O. Conventions are documented in docs/formats/debezium.md.
 *
 * | record value                                   | result                                          |
 * |------------------------------------------------|-------------------------------------------------|
 * | Kafka null, empty, `null`, `{"schema":null,"payload":null}` | skip TOMBSTONE                     |
 * | heartbeat (`io.debezium.connector.common.Heartbeat`, `{ts_ms}` only) | skip HEARTBEAT            |
 * | op c/u/d/r/t                                   | one `change` (row-change.ts)                    |
 * | op m                                           | `context`, or skip (logical-message.ts)         |
 * | transaction topic BEGIN/END                    | one `transaction` (transaction-metadata.ts)     |
 * | MySQL schema-change topic                      | `schema-change` per table (schema-change.ts)    |
 * | anything else                                  | DecodeError → dead letter, with a stable code   |
 */
import { DecodeError, ErrorCode, undecodable } from '../../errors.js';
import { isPlainObject } from '../../model/json.js';
import { emit, skip, type DecodeContext, type DecodeResult, type Decoder, type RawRecord } from '../decoder.js';
import { LogicalType, type ChangePayload } from './envelope.js';
import { parseJson, unwrap } from './connect-json.js';
import { ROW_OPERATIONS, rowChange } from './row-change.js';
import { logicalMessage } from './logical-message.js';
import { isTransactionMetadata, transactionMetadata } from './transaction-metadata.js';
import { isSchemaChange, schemaChanges } from './schema-change.js';
import { isHeartbeatValue, recognizes } from './recognize.js';

const HEARTBEAT_TOPIC = /^__debezium-heartbeat\./;

function isHeartbeat(payload: Record<string, unknown>, schemaName: unknown, topic: string | undefined): boolean {
  return schemaName === LogicalType.HEARTBEAT || (topic !== undefined && HEARTBEAT_TOPIC.test(topic)) || isHeartbeatValue(payload);
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  if (record.value === null) return skip('TOMBSTONE');
  const text = record.value.toString('utf8');
  if (text.trim() === '') return skip('TOMBSTONE');
  const { schema, payload } = unwrap(parseJson(text, 'value'));
  if (payload === null) return skip('TOMBSTONE');
  if (!isPlainObject(payload)) throw undecodable('Debezium record value is not a JSON object');
  if (isHeartbeat(payload, schema?.name, record.topic)) return skip('HEARTBEAT');

  const op = payload['op'];
  if (op === undefined || op === null) {
    if (isTransactionMetadata(payload)) return emit(transactionMetadata(payload, record));
    if (isSchemaChange(payload)) return emit(...schemaChanges(payload, record));
    throw undecodable('Debezium record has no payload.op');
  }
  if (op === 'm') return logicalMessage(payload as ChangePayload, record, ctx);
  const operation = typeof op === 'string' ? ROW_OPERATIONS[op] : undefined;
  if (!operation) {
    const shown = typeof op === 'string' && /^[a-z]{1,8}$/i.test(op) ? ` "${op}"` : '';
    throw new DecodeError(ErrorCode.UNSUPPORTED_RECORD, `Debezium op${shown} is not supported`);
  }
  return emit(rowChange(operation, payload as ChangePayload, schema, record, ctx));
}

export const debeziumDecoder: Decoder = Object.freeze({
  format: 'debezium',
  recognizes,
  decode,
});
