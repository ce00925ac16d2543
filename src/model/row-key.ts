import type { Json, JsonRow } from './json.js';
import type { KeySource } from './events.js';

/** `--key DB_OR_SCHEMA.TABLE=COL[,COL]`: which columns identify a row when the record does not say. */
export type KeyColumns = ReadonlyMap<string, readonly string[]>;

export interface KeyCandidates {
  /** Key from the transport (Kafka record key), already decoded to column → value. */
  readonly recordKey?: JsonRow | null;
  /** Key columns the record names itself (Maxwell primary_key_columns, pgoutput relation key columns). */
  readonly sourcePkColumns?: readonly string[] | null;
  readonly database: string | null;
  readonly schema: string | null;
  readonly table: string;
  /** The row image to take key values from: after for inserts/updates, before for deletes. */
  readonly row: JsonRow | null;
  readonly keyColumns: KeyColumns;
}

function pick(row: JsonRow, columns: readonly string[]): JsonRow | null {
  const key: Record<string, Json> = {};
  for (const c of columns) {
    if (!Object.prototype.hasOwnProperty.call(row, c)) return null;
    key[c] = row[c]!;
  }
  return key;
}

/** Look up `--key` for a table: `schema.table` (PostgreSQL) or `db.table` (MySQL), then the bare table name. */
export function configuredKey(keyColumns: KeyColumns, database: string | null, schema: string | null, table: string) {
  return (
    (schema !== null ? keyColumns.get(`${schema}.${table}`) : undefined) ??
    (database !== null ? keyColumns.get(`${database}.${table}`) : undefined) ??
    keyColumns.get(table)
  );
}

/**
 * The identity of a row, strongest evidence first (docs/event-model.md, `keySource`): the record key, the record's own primary-key
 * columns, `--key`, a column named `id`, else the whole row image. Returns which one was used.
 */
export function resolveKey(c: KeyCandidates): { key: JsonRow; keySource: KeySource } {
  if (c.recordKey && Object.keys(c.recordKey).length > 0) return { key: c.recordKey, keySource: 'RECORD_KEY' };
  const row = c.row;
  if (!row) return { key: {}, keySource: 'NONE' };
  if (c.sourcePkColumns && c.sourcePkColumns.length > 0) {
    const k = pick(row, c.sourcePkColumns);
    if (k) return { key: k, keySource: 'SOURCE_PK' };
  }
  const configured = configuredKey(c.keyColumns, c.database, c.schema, c.table);
  if (configured) {
    const k = pick(row, configured);
    if (k) return { key: k, keySource: 'CONFIGURED' };
  }
  if (Object.prototype.hasOwnProperty.call(row, 'id')) return { key: { id: row['id']! }, keySource: 'ID_COLUMN' };
  return { key: row, keySource: 'ROW_IMAGE' };
}

/** Parse `--key` values: `inventory.customers=id` or `public.order_lines=order_id,line_no`. */
export function parseKeyColumns(specs: readonly string[]): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const table = eq > 0 ? spec.slice(0, eq).trim() : '';
    const cols = eq > 0 ? spec.slice(eq + 1).split(',').map((s) => s.trim()).filter(Boolean) : [];
    if (!table || cols.length === 0) throw new Error(`--key ${JSON.stringify(spec)}: expected DB_OR_SCHEMA.TABLE=COL[,COL]`);
    out.set(table, cols);
  }
  return out;
}

/**
 * Canonical text of a key, used to index and match entities whatever JSON type the caller used for the
 * values: `{id: 1001}` and `{id: "1001"}` give the same text. Columns sorted; values as text.
 */
export function keyText(key: { readonly [column: string]: unknown }): string {
  const cols = Object.keys(key);
  if (cols.length === 1) {
    // what JSON.stringify([[c, text]]) writes, without the arrays
    const t = scalarText(key[cols[0]!]);
    return '[[' + JSON.stringify(cols[0]) + ',' + (t === null ? 'null' : JSON.stringify(t)) + ']]';
  }
  cols.sort();
  return JSON.stringify(cols.map((c) => [c, scalarText(key[c])]));
}

function scalarText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}
