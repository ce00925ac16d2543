/**
 * Time travel (`entityAt`): the row as it was after a given change, rebuilt from history. Pure: the caller
 * passes the change that was in effect at the time and a way to read earlier changes. The after image is
 * the row; columns it lacks because they were unchanged TOAST values (`unknownAfter`) are filled from the
 * change's own before image, else from earlier changes (see image-walk.ts). A column no image knows is
 * left out and named in `unknownColumns`: the row is then not complete.
 */
import type { Json, JsonRow } from '../../model/json.js';
import type { ChangeRecord } from '../../warehouse/queries/change-record.js';
import { knownIn, valueBefore } from './image-walk.js';

export interface RebuiltRow {
  readonly row: JsonRow | null;
  readonly complete: boolean;
  readonly unknownColumns: readonly string[];
}

/** Reads the entity's changes older than the last one passed (newest first); an empty page ends the history. */
export type ReadEarlier = (olderThan: ChangeRecord) => Promise<readonly ChangeRecord[]>;

export async function rebuildAfter(c: ChangeRecord, readEarlier: ReadEarlier, maxChanges: number): Promise<RebuiltRow> {
  if (c.operation === 'DELETE' || c.operation === 'TRUNCATE') return { row: null, complete: true, unknownColumns: [] };
  if (c.after === null) return { row: null, complete: false, unknownColumns: [] };
  const row: Record<string, Json> = { ...c.after };
  let missing: string[] = [];
  for (const column of c.unknownAfter) {
    delete row[column];
    const own = knownIn(c.before, c.unknownBefore, column);
    if (own.known) row[column] = own.value;
    else missing.push(column);
  }
  // Walk back page by page while columns are missing and the walk can still learn them.
  const history: ChangeRecord[] = [];
  let last = c;
  // Before an INSERT lies another incarnation of the row: nothing there describes this one.
  let open = missing.length > 0 && c.operation !== 'INSERT';
  while (open && history.length < maxChanges) {
    const page = await readEarlier(last);
    if (page.length === 0) break;
    history.push(...page);
    last = page.at(-1)!;
    const stillMissing: string[] = [];
    open = false;
    for (const column of missing) {
      const r = valueBefore(column, history);
      if (r.known) row[column] = r.value;
      else {
        stillMissing.push(column);
        if (!r.settled) open = true; // reading further back may still tell
      }
    }
    missing = stillMissing;
  }
  return { row, complete: missing.length === 0, unknownColumns: missing };
}
