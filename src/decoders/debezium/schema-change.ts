/**
 * A value on the MySQL schema-change topic `<topic.prefix>` (docs/formats/debezium.md "Schema-change topic"; the format is "incubating"):
 * `{source, ts_ms, databaseName, schemaName (null), ddl, tableChanges: [{type, id, table}]}` — no `op`.
 * - One `schema-change` event per entry of `tableChanges`: changeType = its `type` (CREATE, ALTER, DROP),
 *   database / table from its `id` (`"db"."table"`; a rename lists `"db"."old","db"."new"` and the new
 *   name is used), detail = the entry itself (the table's full column definitions) plus the position facts.
 * - No `tableChanges` (database-level DDL, `SET …` during snapshots): one event, changeType = the statement's
 *   first keyword (CREATE, DROP, SET …), database = `databaseName`, table = null.
 * - ddl = the statement text (it may hold several statements); server = `source.name`; occurredAt =
 *   `source.ts_*`, else the envelope `ts_ms`.
 */
import { schemaChange, type SchemaChangeEvent } from '../../model/events.js';
import { isPlainObject, type Json } from '../../model/json.js';
import type { RawRecord } from '../decoder.js';
import type { SchemaChangeValue } from './envelope.js';
import { eventTime } from './event-time.js';
import { nonEmpty } from './scalars.js';
import { sourceInfo } from './source-info.js';

export function isSchemaChange(value: Record<string, unknown>): value is Record<string, unknown> & SchemaChangeValue {
  return value['op'] === undefined && typeof value['ddl'] === 'string' && ('tableChanges' in value || 'databaseName' in value) && isPlainObject(value['source']);
}

/** `"db"."table"` / `"db"."schema"."table"`, comma-separated for a rename → the last table's name parts. */
export function tableIdParts(id: string): readonly string[] {
  const tables: string[][] = [[]];
  const token = /"((?:[^"]|"")*)"|([,.])|[^",.]+/g;
  for (const m of id.matchAll(token)) {
    if (m[1] !== undefined) tables[tables.length - 1]!.push(m[1].replace(/""/g, '"'));
    else if (m[2] === ',') tables.push([]);
    else if (m[2] === undefined && m[0].trim() !== '') tables[tables.length - 1]!.push(m[0].trim());
  }
  return tables.filter((t) => t.length > 0).at(-1) ?? [];
}

/** First keyword of a DDL statement, past leading comments. */
export function ddlKeyword(ddl: string | null): string {
  const text = (ddl ?? '').replace(/^(?:\s+|\/\*[^]*?\*\/|--[^\n]*(?:\n|$))*/, '');
  return /^[A-Za-z]+/.exec(text)?.[0]?.toUpperCase() ?? 'DDL';
}

export function schemaChanges(value: SchemaChangeValue, record: RawRecord): SchemaChangeEvent[] {
  const info = sourceInfo(value.source);
  const ddl = typeof value.ddl === 'string' ? value.ddl : null;
  const databaseName = nonEmpty(value.databaseName) ?? info.database;
  const base = {
    format: 'debezium' as const,
    position: record.position,
    ddl,
    schema: nonEmpty(value.schemaName),
    server: info.origin.server,
    occurredAt: eventTime(value.source, value).at,
  };
  const positionFacts = { ...info.extra, ...(record.topic ? { topic: record.topic } : {}) };
  const changes = Array.isArray(value.tableChanges) ? value.tableChanges.filter(isPlainObject) : [];
  if (changes.length === 0) {
    return [schemaChange({ ...base, changeType: ddlKeyword(ddl), database: databaseName, table: null, detail: positionFacts })];
  }
  return changes.map((tc) => {
    const parts = typeof tc['id'] === 'string' ? tableIdParts(tc['id']) : [];
    const table = parts.length > 0 ? parts.at(-1)! : null;
    const database = parts.length > 1 ? parts[0]! : databaseName;
    return schemaChange({
      ...base,
      changeType: nonEmpty(tc['type'])?.toUpperCase() ?? ddlKeyword(ddl),
      database,
      schema: parts.length > 2 ? parts[parts.length - 2]! : base.schema,
      table,
      detail: { ...positionFacts, tableChange: tc as Json },
    });
  });
}
