/**
 * Schema-driven value decoding: a row image and its Connect schema → plain JSON (docs/event-model.md
 * "`change`"). With a schema, logical types are converted (decimal.ts, temporal.ts); without one (schemaless
 * JSON), values are kept exactly as they arrived — a Decimal is then still its base64 bytes, a date still
 * its epoch-day integer, because nothing in the record says what they are.
 * - `bytes` stay base64 text (as sent); `io.debezium.data.Json` stays the JSON **text** (so a JSON `null`
 *   document and SQL NULL stay distinct, and the value is exactly what the column held);
 * - ZonedTimestamp / ZonedTime, Uuid, Enum, Year, intervals … stay as sent;
 * - int64 values past 2^53 are decimal strings (lossless parse).
 */
import { isPlainObject, type Json, type JsonRow } from '../../model/json.js';
import { undecodable } from '../../errors.js';
import { LogicalType, type ConnectSchema } from './envelope.js';
import { fieldSchema } from './connect-json.js';
import { decodeDecimal, decodeVariableScaleDecimal } from './decimal.js';
import { decodeTemporal, type TemporalKind } from './temporal.js';
import { isUnavailable } from './toast.js';

const TEMPORAL: Readonly<Record<string, TemporalKind>> = {
  [LogicalType.DATE]: { shape: 'date' },
  [LogicalType.CONNECT_DATE]: { shape: 'date' },
  [LogicalType.TIME]: { shape: 'time', unit: 'ms' },
  [LogicalType.CONNECT_TIME]: { shape: 'time', unit: 'ms' },
  [LogicalType.MICRO_TIME]: { shape: 'time', unit: 'us' },
  [LogicalType.NANO_TIME]: { shape: 'time', unit: 'ns' },
  [LogicalType.TIMESTAMP]: { shape: 'timestamp', unit: 'ms' },
  [LogicalType.CONNECT_TIMESTAMP]: { shape: 'timestamp', unit: 'ms' },
  [LogicalType.MICRO_TIMESTAMP]: { shape: 'timestamp', unit: 'us' },
  [LogicalType.NANO_TIMESTAMP]: { shape: 'timestamp', unit: 'ns' },
};

/** One value under its schema (`column` names it in error messages; never the value itself). */
export function decodeValue(schema: ConnectSchema | null | undefined, value: unknown, column: string): Json {
  if (value === null || value === undefined) return null;
  if (!schema || typeof schema.type !== 'string') return value as Json;
  const name = schema.name;
  if (name === LogicalType.DECIMAL) return decodeDecimal(value, schema.parameters?.['scale'], column);
  if (name === LogicalType.VARIABLE_SCALE_DECIMAL) return decodeVariableScaleDecimal(value, column);
  const temporal = name !== undefined ? TEMPORAL[name] : undefined;
  if (temporal) return decodeTemporal(value, temporal) as Json;
  switch (schema.type) {
    case 'struct':
      if (!isPlainObject(value)) return value as Json;
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeValue(fieldSchema(schema, k), v, `${column}.${k}`)]));
    case 'array':
      return Array.isArray(value) ? value.map((v) => decodeValue(schema.items, v, column)) : (value as Json);
    case 'map':
      // JsonConverter writes string-keyed maps as objects and other maps as [[key, value], …].
      if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeValue(schema.values, v, column)]));
      if (Array.isArray(value)) {
        return value.map((pair) =>
          Array.isArray(pair) && pair.length === 2 ? [decodeValue(schema.keys, pair[0], column), decodeValue(schema.values, pair[1], column)] : (pair as Json),
        );
      }
      return value as Json;
    default:
      return value as Json;
  }
}

/** A decoded row image: known columns, and the columns whose value Debezium could not send (TOAST). */
export interface RowImage {
  readonly row: JsonRow;
  readonly unknown: readonly string[];
}

/** `row[column] = v` as an own property, even for a column named `__proto__` (as Object.fromEntries would). */
function setOwn(row: Record<string, Json>, column: string, v: Json): void {
  if (column === '__proto__') Object.defineProperty(row, column, { value: v, enumerable: true, writable: true, configurable: true });
  else row[column] = v;
}

/** Decode `before` or `after` with its struct schema (or none). null stays null. */
export function decodeImage(schema: ConnectSchema | null, value: unknown, which: 'before' | 'after'): RowImage | null {
  if (value === null || value === undefined) return null;
  if (!isPlainObject(value)) throw undecodable(`Debezium payload.${which} is not an object`);
  const row: Record<string, Json> = {};
  const unknown: string[] = [];
  for (const column in value) {
    if (!Object.prototype.hasOwnProperty.call(value, column)) continue;
    const raw = value[column];
    const columnSchema = schema === null ? null : fieldSchema(schema, column);
    if (isUnavailable(raw, columnSchema)) unknown.push(column);
    else setOwn(row, column, columnSchema === null ? (raw === undefined ? null : (raw as Json)) : decodeValue(columnSchema, raw, column));
  }
  return { row, unknown };
}

/** Decode a key struct (Kafka record key or `__debezium.*key` header). */
export function decodeStruct(schema: ConnectSchema | null, value: Record<string, unknown>): JsonRow {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeValue(fieldSchema(schema, k), v, k)]));
}
