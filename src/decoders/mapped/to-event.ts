/** Evaluated fields → a normalized activity or change event (docs/event-model.md), frozen by the model's factories. */
import { deriveChangedFields } from '../../model/changed-fields.js';
import { activity, change, type ActivityClass, type ActivityEvent, type ChangeEvent, type Operation } from '../../model/events.js';
import type { Json, JsonRow } from '../../model/json.js';
import { resolveKey, type KeyColumns } from '../../model/row-key.js';
import { undecodable } from '../../errors.js';

export type Values = Readonly<Record<string, unknown>>;

const str = (v: Values, k: string) => (v[k] ?? null) as string | null;
const time = (v: Values, k: string) => (v[k] ?? null) as Date | null;
const row = (v: Values, k: string) => (v[k] ?? null) as JsonRow | null;

export function toActivity(v: Values, position: string, extra: JsonRow): ActivityEvent {
  return activity({
    format: 'mapped',
    position,
    class: (v['class'] ?? 'OTHER') as ActivityClass,
    rawClass: str(v, 'rawClass'),
    command: str(v, 'command'),
    commandText: str(v, 'commandText'),
    objectType: str(v, 'objectType'),
    objectName: str(v, 'objectName'),
    database: str(v, 'database'),
    dbUser: str(v, 'dbUser'),
    remoteHost: str(v, 'remoteHost'),
    remotePort: str(v, 'remotePort'),
    clientApplication: str(v, 'clientApplication'),
    sessionId: str(v, 'sessionId'),
    pid: str(v, 'pid'),
    statementId: str(v, 'statementId'),
    substatementId: str(v, 'substatementId'),
    rowCount: (v['rowCount'] ?? null) as number | null,
    exitCode: str(v, 'exitCode'),
    errorMessage: str(v, 'errorMessage'),
    txId: str(v, 'txId'),
    startedAt: time(v, 'startedAt'),
    occurredAt: time(v, 'occurredAt'),
    server: str(v, 'server'),
    parameters: (v['parameters'] ?? null) as Json,
    extra: { ...(row(v, 'extra') ?? {}), ...extra },
  });
}

export function toChange(v: Values, position: string, extra: JsonRow, keyColumns: KeyColumns, path: string): ChangeEvent {
  const operation = v['operation'] as Operation;
  const table = v['table'] as string | null;
  if (table === null) throw undecodable(`mapping ${path}.table: evaluated to nothing (a change needs its table)`);
  const before = row(v, 'before');
  const after = row(v, 'after');
  const beforeComplete = (v['beforeComplete'] ?? true) as boolean;
  const database = str(v, 'database');
  const schema = str(v, 'schema');
  const declared = row(v, 'key');
  const { key, keySource } = declared && Object.keys(declared).length > 0
    ? { key: declared, keySource: 'CONFIGURED' as const }
    : resolveKey({ database, schema, table, row: operation === 'DELETE' ? before : after ?? before, keyColumns });
  const unknown: readonly string[] = [];
  return change({
    format: 'mapped',
    position,
    operation,
    database,
    schema,
    table,
    key,
    keySource,
    before,
    after,
    beforeComplete,
    unknownBefore: unknown,
    unknownAfter: unknown,
    changedFields: deriveChangedFields({ before, after, beforeComplete, unknownBefore: unknown, unknownAfter: unknown }),
    txId: str(v, 'txId'),
    txOrder: (v['txOrder'] ?? null) as number | null,
    committedAt: time(v, 'committedAt'),
    committedAtSource: v['committedAt'] ? 'SOURCE' : 'UNKNOWN',
    origin: { server: str(v, 'server'), connection: str(v, 'connection'), user: str(v, 'user') },
    extra: { ...(row(v, 'extra') ?? {}), ...extra },
  });
}
