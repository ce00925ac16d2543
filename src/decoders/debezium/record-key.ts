/**
 * The Kafka record key (docs/formats/debezium.md "Record key"): a struct with one field per primary-key column (or the
 * unique-key / `message.key.columns` columns), schema-wrapped or bare, decoded with its own schema so a
 * DECIMAL or DATE key column reads the same as in the row. Null for tables without a key and for truncates.
 * A key that is not a JSON object (a string key, garbage) is ignored: the row image still identifies the row,
 * and a bad key must not cost the change.
 *
 * The same decoding serves the `__debezium.newkey` / `__debezium.oldkey` headers of a primary-key update.
 */
import { isPlainObject, type Json, type JsonRow } from '../../model/json.js';
import { parseJsonLossless } from '../../model/lossless-json.js';
import { unwrap } from './connect-json.js';
import { decodeStruct } from './values.js';

function parseQuietly(text: string): unknown {
  try {
    return parseJsonLossless(text);
  } catch {
    return undefined;
  }
}

/** Key text → column → value, or null when it is not a key struct. */
export function keyStructOf(text: string): JsonRow | null {
  const { schema, payload } = unwrap(parseQuietly(text));
  if (!isPlainObject(payload) || Object.keys(payload).length === 0) return null;
  try {
    return decodeStruct(schema, payload);
  } catch {
    return null;
  }
}

/** The record key bytes → key struct, or null. */
export function recordKeyOf(key: Buffer | null | undefined): JsonRow | null {
  if (!key || key.length === 0) return null;
  return keyStructOf(key.toString('utf8'));
}

/** A key header's value: the decoded struct when it is one, else its text as is. */
export function keyHeaderOf(value: string): Json {
  return keyStructOf(value) ?? value;
}
