import { jsonEqual, type JsonRow } from './json.js';

export interface ChangedFieldsInput {
  readonly before: JsonRow | null;
  readonly after: JsonRow | null;
  readonly beforeComplete: boolean;
  readonly unknownBefore: readonly string[];
  readonly unknownAfter: readonly string[];
}

/**
 * The columns a change touched. INSERT: every after column; DELETE: every before column; UPDATE: columns
 * whose value differs. A column whose old value is unknown (incomplete before image, TOAST placeholder) and
 * whose new value is known is reported as changed: it may have been. A column whose new value is unknown
 * (unchanged TOAST) is never reported.
 */
export function deriveChangedFields(c: ChangedFieldsInput): string[] {
  const { before, after } = c;
  if (!after) return before ? Object.keys(before) : [];
  if (!before && c.beforeComplete) return Object.keys(after);
  const unknownAfter = new Set(c.unknownAfter);
  const unknownBefore = new Set(c.unknownBefore);
  const changed: string[] = [];
  for (const column of Object.keys(after)) {
    if (unknownAfter.has(column)) continue;
    const oldKnown = before !== null && Object.prototype.hasOwnProperty.call(before, column) && !unknownBefore.has(column);
    if (!oldKnown || !jsonEqual(before![column], after[column])) changed.push(column);
  }
  if (before && c.beforeComplete) {
    for (const column of Object.keys(before)) {
      if (!Object.prototype.hasOwnProperty.call(after, column) && !unknownAfter.has(column)) changed.push(column);
    }
  }
  return changed;
}
