/**
 * The schema version a change was written under (`Change.schemaChange`, docs/graphql.md "Schema
 * versions"): the latest DDL of the change's table, in the same source, at or before the change's binlog
 * position — where the source gives one on both (Maxwell `position`, Debezium MySQL `source.file`/`pos`;
 * migrations/046_schema_version.sql reads them the same way in SQL). One statement for a page of changes,
 * one index probe each (`schema_changes_version`).
 */
import { sql, type Kysely } from 'kysely';
import type { Json, JsonRow } from '../../model/json.js';
import type { Warehouse } from '../tables.js';
import { SCHEMA_CHANGE_COLUMNS, TIMELINE, type SchemaChangeRecord } from './schema-change-page.js';

export interface BinlogPosition {
  readonly file: string;
  /** The offset within the file, as decimal text (a bigint). */
  readonly pos: string;
}

export interface SchemaVersionKey extends BinlogPosition {
  readonly source: string;
  readonly database: string | null;
  readonly table: string;
}

const text = (v: Json | undefined): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

/** The binlog position in a change's `extra` (the same rule as auditql.binlog_file / binlog_pos), or null. */
export function binlogPosition(extra: JsonRow | null | undefined): BinlogPosition | null {
  if (!extra) return null;
  const file = text(extra['file']);
  const pos = text(extra['pos']);
  if (file !== null && pos !== null && /^\d{1,18}$/.test(pos)) return { file, pos };
  const m = /^(.+):(\d{1,18})$/.exec(text(extra['position']) ?? '');
  return file === null && m ? { file: m[1]!, pos: m[2]! } : null;
}

/** For each key, its schema version, or null when no DDL of that table precedes it. */
export async function schemaVersions(db: Kysely<Warehouse>, keys: readonly SchemaVersionKey[]): Promise<(SchemaChangeRecord | null)[]> {
  if (keys.length === 0) return [];
  const r = await sql<SchemaChangeRecord & { i: string }>`select k.i as "i", ${SCHEMA_CHANGE_COLUMNS}
    from unnest(${keys.map((k) => k.source)}::text[], ${keys.map((k) => k.database)}::text[], ${keys.map((k) => k.table)}::text[],
                ${keys.map((k) => k.file)}::text[], ${keys.map((k) => k.pos)}::bigint[]) with ordinality as k(source, database_name, table_name, file, pos, i)
    cross join lateral (
      select s.* from ${TIMELINE} s
      where s.source = k.source and s.table_name = k.table_name and s.database_name is not distinct from k.database_name
        and (auditql.binlog_file(s.detail), auditql.binlog_pos(s.detail)) <= (k.file, k.pos)
      order by auditql.binlog_file(s.detail) desc, auditql.binlog_pos(s.detail) desc, s.seq desc
      limit 1
    ) t`.execute(db);
  const out: (SchemaChangeRecord | null)[] = keys.map(() => null);
  for (const { i, ...row } of r.rows) out[Number(i) - 1] = row;
  return out;
}
