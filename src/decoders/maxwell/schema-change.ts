/**
 * A Maxwell DDL event (`output_ddl`; DDLMap.toJSON) → one `schema-change`: changeType is Maxwell's type
 * (`table-create`, `database-drop`, …), ddl is `sql`, occurredAt is `ts` in epoch MILLISECONDS, and detail
 * keeps everything else as it came: `def` and `old` (table definitions), `charset`, `position`, `gtid`,
 * `schema_id`, extra attributes. Database-level events have no table (null).
 */
import { schemaChange as schemaChangeEvent, type SchemaChangeEvent } from '../../model/events.js';
import type { Json } from '../../model/json.js';
import { DecodeError, ErrorCode } from '../../errors.js';
import type { RawRecord } from '../decoder.js';
import { ddlTime } from './epoch.js';
import type { MaxwellDdlType } from './payload.js';

const MAPPED = new Set(['type', 'database', 'table', 'sql', 'ts']);

function optionalString(fields: Readonly<Record<string, unknown>>, name: string): string | null {
  const value = fields[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new DecodeError(ErrorCode.UNDECODABLE_RECORD, `Maxwell DDL event: \`${name}\` is not a string`);
  return value;
}

export function schemaChange(type: MaxwellDdlType, fields: Readonly<Record<string, unknown>>, record: RawRecord): SchemaChangeEvent {
  const detail: Record<string, Json> = {};
  for (const [name, value] of Object.entries(fields)) if (!MAPPED.has(name)) detail[name] = value as Json;
  const serverId = fields['server_id'];
  return schemaChangeEvent({
    format: 'maxwell',
    position: record.position,
    changeType: type,
    database: optionalString(fields, 'database'),
    schema: null,
    table: optionalString(fields, 'table'),
    ddl: optionalString(fields, 'sql'),
    server: typeof serverId === 'number' || typeof serverId === 'string' ? String(serverId) : null,
    occurredAt: ddlTime(fields['ts']).at,
    detail,
  });
}
