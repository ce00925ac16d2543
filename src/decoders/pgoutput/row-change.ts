/**
 * A `change` record → one normalized `change` (docs/formats/pgoutput.md "Changes"):
 * - op insert/update/delete/truncate → INSERT/UPDATE/DELETE/TRUNCATE;
 * - before: the old tuple — the whole old row with REPLICA IDENTITY FULL (`oldKind: full`, beforeComplete
 *   true), the replica identity columns only (`key`: a DELETE, or an UPDATE that changed the key; before-
 *   Complete false), or nothing (`none`: an UPDATE under DEFAULT/INDEX identity; before null, beforeComplete
 *   false); INSERT has no before and it is complete;
 * - unchanged TOAST columns (`u`) are absent from the images and listed in unknownBefore / unknownAfter;
 * - key: the primary key (from the source catalog), else the replica identity columns unless the identity is
 *   FULL (then every column is flagged), taken from the new row (inserts, updates) or the old one (deletes)
 *   → SOURCE_PK; without either, `--key`, a column `id`, or the whole row (src/model/row-key.ts);
 * - txId: the xid from Begin; txOrder: the record's place in the transaction; committedAt: Begin's commit
 *   timestamp; origin.server: the source cluster's system identifier.
 */
import { change, type ChangeEvent, type Operation } from '../../model/events.js';
import { deriveChangedFields } from '../../model/changed-fields.js';
import type { Json, JsonRow } from '../../model/json.js';
import { resolveKey } from '../../model/row-key.js';
import type { DecodeContext, RawRecord } from '../decoder.js';
import type { ChangeOp, ChangeRecord, PgRelation, PgTuple } from './record.js';
import { decodeValue } from './values.js';

const OPERATIONS: Readonly<Record<ChangeOp, Operation>> = { insert: 'INSERT', update: 'UPDATE', delete: 'DELETE', truncate: 'TRUNCATE' };

function decodeTuple(tuple: PgTuple | null, relation: PgRelation): JsonRow | null {
  if (tuple === null) return null;
  const types = new Map(relation.columns.map((c) => [c.name, c.typeOid]));
  const row: Record<string, Json> = {};
  for (const [column, text] of Object.entries(tuple)) row[column] = decodeValue(types.get(column) ?? 0, text);
  return row;
}

const hasAll = (row: JsonRow, columns: readonly string[]) =>
  columns.length > 0 && columns.every((c) => Object.prototype.hasOwnProperty.call(row, c));

/** The identifying columns the record names: the primary key, else the replica identity unless FULL. */
function sourceKeyColumns(relation: PgRelation, row: JsonRow): readonly string[] | null {
  if (relation.primaryKey && hasAll(row, relation.primaryKey)) return relation.primaryKey;
  if (relation.replicaIdentity === 'full') return null;
  const identity = relation.columns.filter((c) => c.isKey).map((c) => c.name);
  return hasAll(row, identity) ? identity : null;
}

export function rowChange(rec: ChangeRecord, record: RawRecord, ctx: DecodeContext): ChangeEvent {
  const operation = OPERATIONS[rec.op];
  const relation = rec.relation;
  const truncate = operation === 'TRUNCATE';
  const before = truncate || operation === 'INSERT' ? null : decodeTuple(rec.old, relation);
  const after = truncate || operation === 'DELETE' ? null : decodeTuple(rec.new, relation);
  const unknownBefore = before ? (rec.oldUnchanged ?? []) : [];
  const unknownAfter = after ? (rec.newUnchanged ?? []) : [];
  const beforeComplete = operation === 'INSERT' || (!truncate && rec.oldKind === 'full' && before !== null && unknownBefore.length === 0);

  // Key values: the new row (an unchanged key column may be TOAST-unknown there: then the old row's value).
  const keyRow = operation === 'DELETE' ? before : after ? { ...(before ?? {}), ...after } : null;
  const { key, keySource } = truncate || keyRow === null
    ? { key: {} as JsonRow, keySource: 'NONE' as const }
    : resolveKey({
        sourcePkColumns: sourceKeyColumns(relation, keyRow),
        database: rec.source.database,
        schema: relation.schema,
        table: relation.table,
        row: keyRow,
        keyColumns: ctx.keyColumns,
      });

  return change({
    format: 'pgoutput',
    position: record.position,
    operation,
    database: rec.source.database,
    schema: relation.schema,
    table: relation.table,
    key,
    keySource,
    before,
    after,
    beforeComplete,
    unknownBefore,
    unknownAfter,
    changedFields: deriveChangedFields({ before, after, beforeComplete, unknownBefore, unknownAfter }),
    txId: rec.xid,
    txOrder: rec.seq,
    committedAt: new Date(rec.commitTime),
    committedAtSource: 'SOURCE',
    origin: { server: rec.source.systemId, connection: null, user: null },
    extra: {
      lsn: rec.lsn,
      commitLsn: rec.commitLsn,
      relationOid: relation.oid,
      replicaIdentity: relation.replicaIdentity,
      oldKind: rec.oldKind,
      ...(rec.truncate ? { cascade: rec.truncate.cascade, restartIdentity: rec.truncate.restartIdentity } : {}),
    },
  });
}
