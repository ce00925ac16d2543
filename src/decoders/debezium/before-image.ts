/**
 * How much of the old row a Debezium event really carries (docs/formats/debezium.md "Replica identity and TOAST"). PostgreSQL sends old values
 * according to REPLICA IDENTITY:
 * - DEFAULT: an UPDATE has `before: null` (pgoutput sends no old tuple unless the key changed); a DELETE
 *   has the key columns — with JsonConverter the other columns of the struct print as null, or as only
 *   the key columns in the documentation's examples;
 * - NOTHING: a DELETE may have `before: null`;
 * - FULL: every old value (MySQL with the default `binlog_row_image=FULL` likewise).
 * The rule here: an UPDATE or DELETE whose before image is null, holds nothing but the key columns
 * (every other column absent or null), lacks columns the after image has, or has unavailable (TOAST)
 * columns is **incomplete**. A key-only image is cut down to the key columns, so null-filled columns are
 * never stored as if they had been null. (A FULL image whose non-key columns are all genuinely null is
 * then also reported incomplete — the safe side of an ambiguity the event cannot settle.)
 */
import type { JsonRow } from '../../model/json.js';
import type { Operation } from '../../model/events.js';
import type { RowImage } from './values.js';

export interface BeforeAssessment {
  readonly before: JsonRow | null;
  readonly beforeComplete: boolean;
}

const has = (row: JsonRow, column: string) => Object.prototype.hasOwnProperty.call(row, column);

/**
 * @param keyColumns the columns that identify the row (record key, `--key` or `id`), or null when only the
 *   whole row image does.
 * @param tableColumns every column the table's schema lists (empty when schemaless).
 */
export function assessBefore(
  operation: Operation,
  before: RowImage | null,
  after: RowImage | null,
  keyColumns: readonly string[] | null,
  tableColumns: readonly string[],
): BeforeAssessment {
  if (operation === 'INSERT' || operation === 'SNAPSHOT') return { before: before?.row ?? null, beforeComplete: true };
  if (operation === 'TRUNCATE' || before === null) return { before: before?.row ?? null, beforeComplete: false };

  if (keyColumns && keyColumns.length > 0) {
    const keys = new Set(keyColumns);
    const others = new Set([...tableColumns, ...Object.keys(before.row), ...before.unknown, ...Object.keys(after?.row ?? {}), ...(after?.unknown ?? [])]);
    for (const k of keys) others.delete(k);
    const keyOnly = others.size > 0 && [...others].every((c) => !before.unknown.includes(c) && (!has(before.row, c) || before.row[c] === null));
    if (keyOnly) {
      const reduced = Object.fromEntries(Object.entries(before.row).filter(([c]) => keys.has(c)));
      return { before: reduced, beforeComplete: false };
    }
  }
  if (before.unknown.length > 0) return { before: before.row, beforeComplete: false };
  if (after) {
    const missing = [...Object.keys(after.row), ...after.unknown].some((c) => !has(before.row, c));
    if (missing) return { before: before.row, beforeComplete: false };
  }
  return { before: before.row, beforeComplete: true };
}
