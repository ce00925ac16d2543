/**
 * Kafka Connect JsonConverter forms (docs/formats/debezium.md "Record, topics and converter forms"): with `schemas.enable=true` a key or value is
 * `{"schema": <Connect schema>, "payload": <data>}`, otherwise the bare payload. `"schema": null` and
 * `"schema": {}` mean "no schema": values are then kept as they arrive. Parsing keeps every digit of
 * numbers a double cannot hold (they become decimal strings).
 */
import { isPlainObject } from '../../model/json.js';
import { parseJsonLossless } from '../../model/lossless-json.js';
import { undecodable } from '../../errors.js';
import type { ConnectSchema } from './envelope.js';

export interface ConnectJson {
  /** null when the converter sent none (schemaless, `"schema": null`, `"schema": {}`). */
  readonly schema: ConnectSchema | null;
  readonly payload: unknown;
}

/** Parse JSON text; a syntax error becomes a DecodeError whose message holds no input text. */
export function parseJson(text: string, what: string): unknown {
  try {
    return parseJsonLossless(text);
  } catch {
    throw undecodable(`Debezium record ${what} is not valid JSON`);
  }
}

function schemaOf(value: unknown): ConnectSchema | null {
  return isPlainObject(value) && typeof value['type'] === 'string' ? (value as ConnectSchema) : null;
}

/** Is this parsed value the schema-wrapped form `{schema, payload}` (and nothing else)? */
export function isSchemaWrapped(value: unknown): value is { schema: unknown; payload: unknown } {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 2 && 'schema' in value && 'payload' in value && (value['schema'] === null || isPlainObject(value['schema']));
}

/** Split a parsed key or value into its schema (if any) and payload. */
export function unwrap(value: unknown): ConnectJson {
  if (isSchemaWrapped(value)) return { schema: schemaOf(value.schema), payload: value.payload };
  return { schema: null, payload: value };
}

/** A struct schema's field by name, or null. */
export function fieldSchema(struct: ConnectSchema | null | undefined, name: string): ConnectSchema | null {
  if (!struct || !Array.isArray(struct.fields)) return null;
  return struct.fields.find((f) => isPlainObject(f) && f.field === name) ?? null;
}

/** The column names a struct schema lists (empty without one). */
export function fieldNames(struct: ConnectSchema | null | undefined): string[] {
  if (!struct || !Array.isArray(struct.fields)) return [];
  return struct.fields.map((f) => (isPlainObject(f) ? f.field : undefined)).filter((f): f is string => typeof f === 'string');
}
