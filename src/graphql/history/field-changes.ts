/**
 * `Change.fieldChanges`: old → new for each changed field (docs/graphql.md "Field changes"). Pure.
 *
 * An old value is known when the change's before image holds it (`IMAGE`), when the row did not exist
 * before (an INSERT: `ABSENT`, value null), or — with history stitching — when the entity's earlier changes
 * tell it (`HISTORY`). Otherwise it is `UNKNOWN`: `oldValueKnown: false`, `oldValue: null`, which means
 * "not known", never "was null". With an incomplete before image `changedFields` lists every column that
 * *may* have changed; a field whose stitched old value equals its new value did not change and is left out.
 */
import { jsonEqual, type Json } from '../../model/json.js';
import type { ChangeRecord } from '../../warehouse/queries/change-record.js';
import { knownIn, valueBefore } from './image-walk.js';

export type ValueOrigin = 'IMAGE' | 'HISTORY' | 'ABSENT' | 'UNKNOWN';

export interface FieldChangeValue {
  readonly field: string;
  readonly oldValue: Json;
  readonly newValue: Json;
  readonly oldValueKnown: boolean;
  readonly newValueKnown: boolean;
  readonly oldValueFrom: ValueOrigin;
  readonly newValueFrom: ValueOrigin;
}

interface Side {
  readonly value: Json;
  readonly from: ValueOrigin;
}

const UNKNOWN: Side = { value: null, from: 'UNKNOWN' };
const ABSENT: Side = { value: null, from: 'ABSENT' };

function oldSide(c: ChangeRecord, field: string): Side {
  if (c.operation === 'INSERT') return ABSENT;
  const image = knownIn(c.before, c.unknownBefore, field);
  if (image.known) return { value: image.value, from: 'IMAGE' };
  // A complete before image without the column: the column was not there (e.g. added since).
  if (c.before !== null && c.beforeComplete && !c.unknownBefore.includes(field)) return ABSENT;
  return UNKNOWN;
}

function newSide(c: ChangeRecord, field: string): Side {
  if (c.operation === 'DELETE') return ABSENT;
  const image = knownIn(c.after, c.unknownAfter, field);
  if (image.known) return { value: image.value, from: 'IMAGE' };
  if (c.after !== null && !c.unknownAfter.includes(field)) return ABSENT;
  return UNKNOWN;
}

const value = (field: string, o: Side, n: Side): FieldChangeValue => ({
  field,
  oldValue: o.value,
  newValue: n.value,
  oldValueKnown: o.from !== 'UNKNOWN',
  newValueKnown: n.from !== 'UNKNOWN',
  oldValueFrom: o.from,
  newValueFrom: n.from,
});

/** The fields whose old value the change itself does not know (candidates for stitching). */
export function unknownOldFields(c: ChangeRecord): string[] {
  return c.changedFields.filter((f) => oldSide(c, f).from === 'UNKNOWN');
}

/**
 * Field changes of `c`. `earlier` (newest first) are the entity's preceding changes, for stitching; pass
 * null to report unknown old values as unknown.
 */
export function fieldChanges(c: ChangeRecord, earlier: readonly ChangeRecord[] | null): FieldChangeValue[] {
  const out: FieldChangeValue[] = [];
  for (const field of c.changedFields) {
    let o = oldSide(c, field);
    const n = newSide(c, field);
    if (o.from === 'UNKNOWN' && earlier !== null) {
      const r = valueBefore(field, earlier);
      if (r.known) {
        if (n.from === 'IMAGE' && jsonEqual(r.value, n.value)) continue; // it did not change after all
        o = { value: r.value, from: 'HISTORY' };
      }
    }
    out.push(value(field, o, n));
  }
  return out;
}
