/**
 * Which columns identify a Maxwell row, strongest evidence first (model/row-key.ts resolveKey):
 * 1. the Kafka record key (hash or array format) → RECORD_KEY;
 * 2. `primary_key_columns` with the values of `primary_key` (`output_primary_keys`) when both are present
 *    and line up, else with the values in the row → SOURCE_PK;
 * 3. `--key db.table=COL[,COL]` → CONFIGURED; a column called `id` → ID_COLUMN; the row image → ROW_IMAGE.
 */
import type { DecodeContext, RawRecord } from '../decoder.js';
import type { KeySource } from '../../model/events.js';
import type { Json, JsonRow } from '../../model/json.js';
import { resolveKey } from '../../model/row-key.js';
import { parseRecordKey, restoreCase } from './record-key.js';

export interface KeyInput {
  readonly database: string | null;
  readonly table: string;
  /** The row to take values from: `data` (after the change; for a delete, before it). */
  readonly row: JsonRow;
  readonly pkColumns: readonly string[] | null;
  readonly pkValues: readonly Json[] | null;
}

export function changeKey(input: KeyInput, record: RawRecord, ctx: DecodeContext): { key: JsonRow; keySource: KeySource } {
  const { database, table, row, pkColumns, pkValues } = input;
  const fromRecord = parseRecordKey(record.key, { database, table });
  if (fromRecord) {
    return { key: restoreCase(fromRecord, pkColumns ?? Object.keys(row)), keySource: 'RECORD_KEY' };
  }
  if (pkColumns && pkColumns.length > 0 && pkValues && pkValues.length === pkColumns.length) {
    return { key: Object.fromEntries(pkColumns.map((c, i) => [c, pkValues[i]!])), keySource: 'SOURCE_PK' };
  }
  return resolveKey({ database, schema: null, table, row, sourcePkColumns: pkColumns, keyColumns: ctx.keyColumns });
}
