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

  if (keyColumns && keyColumns.length > 0 && keyOnly(before, after, keyColumns, tableColumns)) {
    const reduced = Object.fromEntries(Object.entries(before.row).filter(([c]) => keyColumns.includes(c)));
    return { before: reduced, beforeComplete: false };
  }
  if (before.unknown.length > 0) return { before: before.row, beforeComplete: false };
  if (after) {
    for (const c in after.row) if (has(after.row, c) && !has(before.row, c)) return { before: before.row, beforeComplete: false };
    for (const c of after.unknown) if (!has(before.row, c)) return { before: before.row, beforeComplete: false };
  }
  return { before: before.row, beforeComplete: true };
}

/**
 * Does the before image hold nothing but the key columns? True when some column besides the keys is named
 * (by the schema, either image, or their unavailable lists) and every such column is absent from the before
 * image or null there, and none of them is unavailable in it.
 */
function keyOnly(before: RowImage, after: RowImage | null, keyColumns: readonly string[], tableColumns: readonly string[]): boolean {
  let others = false;
  const holdsOnlyNull = (c: string): boolean => {
    if (keyColumns.includes(c)) return true;
    others = true;
    return !before.unknown.includes(c) && (!has(before.row, c) || before.row[c] === null);
  };
  for (const c of tableColumns) if (!holdsOnlyNull(c)) return false;
  for (const c in before.row) if (has(before.row, c) && !holdsOnlyNull(c)) return false;
  for (const c of before.unknown) if (!holdsOnlyNull(c)) return false;
  if (after) {
    for (const c in after.row) if (has(after.row, c) && !holdsOnlyNull(c)) return false;
    for (const c of after.unknown) if (!holdsOnlyNull(c)) return false;
  }
  return others;
}
