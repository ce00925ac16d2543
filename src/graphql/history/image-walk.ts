/**
 * What a column held just before a change, read from the entity's earlier changes (history stitching).
 * Pure: the caller passes the earlier changes, newest first. Walking backward, the first image that knows
 * the column gives its value: a change's after image (unless the column was an unchanged-TOAST
 * placeholder there), or — when the column was unchanged and unsent — that change's before image. The walk
 * stops, unresolved, at anything that breaks the row's continuity: a DELETE or TRUNCATE (a different
 * incarnation of the row), an INSERT or SNAPSHOT that does not know the column, or an after image without
 * the column (it did not exist yet).
 */
import type { Json, JsonRow } from '../../model/json.js';
import type { ChangeRecord } from '../../warehouse/queries/change-record.js';

/** `settled`: when unknown, whether reading further back could still tell (false) or not (true). */
export type Resolved = { readonly known: true; readonly value: Json } | { readonly known: false; readonly settled: boolean };

const UNRESOLVED_FINAL: Resolved = { known: false, settled: true };
const UNRESOLVED_OPEN: Resolved = { known: false, settled: false };

const has = (row: JsonRow | null, column: string): row is JsonRow =>
  row !== null && Object.prototype.hasOwnProperty.call(row, column);

/** The value in an image, when the image knows it. */
export function knownIn(row: JsonRow | null, unknown: readonly string[], column: string): Resolved {
  return has(row, column) && !unknown.includes(column) ? { known: true, value: row[column]! } : UNRESOLVED_FINAL;
}

export function valueBefore(column: string, earlier: readonly ChangeRecord[]): Resolved {
  for (const p of earlier) {
    if (p.operation === 'DELETE' || p.operation === 'TRUNCATE') return UNRESOLVED_FINAL;
    const fromAfter = knownIn(p.after, p.unknownAfter, column);
    if (fromAfter.known) return fromAfter;
    if (!p.unknownAfter.includes(column)) return UNRESOLVED_FINAL;
    // Unchanged and unsent in p: p's before image may know it; else keep walking.
    const fromBefore = knownIn(p.before, p.unknownBefore, column);
    if (fromBefore.known) return fromBefore;
    if (p.operation === 'INSERT' || p.operation === 'SNAPSHOT') return UNRESOLVED_FINAL;
  }
  return UNRESOLVED_OPEN;
}
