/**
 * The Kafka record key Maxwell writes (RowIdentity.toKeyJson; docs/formats/maxwell.md "Kafka key"), read back to
 * primary-key column → value:
 * - `hash` (default): `{"database":"test_tb","table":"test_tbl","pk.id":4,"pk.part2":"hello"}`;
 *   `"_uuid"` instead of `pk.*` when the table has no primary key (no key then);
 * - `array`: `["test_tb","test_tbl",[{"id":4},{"part2":"hello"}]]`.
 * Maxwell lower-cases the column names; `restoreCase` maps them back to the row's own spelling.
 * A key that is not one of these (a DDL key is a bare UUID), or names another table, is not used.
 */
import { isPlainObject, type Json, type JsonRow } from '../../model/json.js';
import { parseJsonLossless } from '../../model/lossless-json.js';

const PK_PREFIX = 'pk.';

export interface KeyTarget {
  readonly database: string | null;
  readonly table: string;
}

function sameTable(database: unknown, table: unknown, target: KeyTarget): boolean {
  return table === target.table && (database ?? null) === target.database;
}

function fromHash(key: Record<string, unknown>, target: KeyTarget): JsonRow | null {
  if (!sameTable(key['database'], key['table'], target) || key['_uuid'] !== undefined) return null;
  const out: Record<string, Json> = {};
  for (const [name, value] of Object.entries(key)) {
    if (name.startsWith(PK_PREFIX)) out[name.slice(PK_PREFIX.length)] = value as Json;
  }
  return out;
}

function fromArray(key: readonly unknown[], target: KeyTarget): JsonRow | null {
  if (key.length !== 3 || !sameTable(key[0], key[1], target) || !Array.isArray(key[2])) return null;
  const out: Record<string, Json> = {};
  for (const part of key[2] as unknown[]) {
    if (!isPlainObject(part)) return null;
    Object.assign(out, part);
  }
  return out;
}

/**
 * The key's columns and values, or null when the key is absent, not Maxwell's, for another table, has no
 * primary key (`_uuid`), or names no column with a value (every value null: the columns were not in `data`).
 */
export function parseRecordKey(bytes: Buffer | null | undefined, target: KeyTarget): JsonRow | null {
  if (!bytes || bytes.length === 0) return null;
  let key: unknown;
  try {
    key = parseJsonLossless(bytes.toString('utf8'));
  } catch {
    return null;
  }
  const row = isPlainObject(key) ? fromHash(key, target) : Array.isArray(key) ? fromArray(key, target) : null;
  if (!row || Object.values(row).every((v) => v === null)) return null;
  return row;
}

/**
 * Put back the case Maxwell's key lost: each lower-cased name becomes the one spelling among `candidates`
 * (primary_key_columns first, else the row's columns) that lower-cases to it; ambiguous or unknown names stay.
 */
export function restoreCase(key: JsonRow, candidates: readonly string[]): JsonRow {
  const byLower = new Map<string, string | null>();
  for (const c of candidates) {
    const lower = c.toLowerCase();
    byLower.set(lower, byLower.has(lower) && byLower.get(lower) !== c ? null : c);
  }
  const out: Record<string, Json> = {};
  for (const [name, value] of Object.entries(key)) out[byLower.get(name) ?? name] = value;
  return out;
}
