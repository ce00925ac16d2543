/**
 * One DAS event → one normalized ActivityEvent (events.ts). Field mapping (docs/formats/das.md has the table):
 * identifiers (pid, sessionId, statementId, substatementId, remotePort, exitCode) become strings whatever JSON
 * type the engine used; empty strings become null; `transactionId` `"0"` (or all zeros) becomes null;
 * logTime → occurredAt (endTime when logTime is missing), startTime → startedAt, truncated to milliseconds
 * with the exact text kept in `extra`.
 *
 * `server` — the identity attribution joins on — is, in order: the record's `clusterId` (one identity for
 * every instance of an Aurora cluster), `--das-resource-id` (covers events whose record omits clusterId, like
 * the Aurora MySQL AUX doc sample), the record's `instanceId` (RDS instances, whose clusterId is `""`), and
 * last the event's `serverHost` (bare events: an IP on PostgreSQL, an instance name on MySQL).
 *
 * Aurora MySQL writes a statement as a MAIN event plus AUX events per object, in any order. Both are kept,
 * and both carry `extra.statementKey = "<instanceId>:<sessionId>:<statementId>"` so they can be grouped
 * whichever arrives first (instanceId falls back to serverHost, the instance name on MySQL).
 */
import { activity, type ActivityEvent } from '../../model/events.js';
import type { Json } from '../../model/json.js';
import type { DecodeContext } from '../decoder.js';
import { classifyDasEvent } from './classify.js';
import { resourceIdFor } from './decrypt.js';
import { detectEngine, type DasEngine } from './engine.js';
import type { EventInput } from './records.js';
import { parseDasTimestamp } from './timestamp.js';
import { count, idText, isNonEmptyObject, json, text, transactionIdOf } from './values.js';

const SERVER_FIELDS = ['serverHost', 'serverType', 'serverVersion', 'serviceName', 'dbProtocol', 'netProtocol'] as const;
const TIME_FIELDS = ['logTime', 'startTime', 'endTime'] as const;

function statementKey(input: EventInput, engine: DasEngine | null, rawClass: string | null): string | null {
  const cls = rawClass?.toUpperCase();
  if (engine !== 'mysql' || (cls !== 'MAIN' && cls !== 'AUX')) return null;
  const instance = input.meta.instanceId ?? text(input.event.serverHost);
  const session = idText(input.event.sessionId);
  const statement = idText(input.event.statementId);
  if (instance === null || session === null || statement === null) return null;
  return `${instance}:${session}:${statement}`;
}

function extraOf(input: EventInput, engine: DasEngine | null, key: string | null): Record<string, Json> {
  const { meta, event } = input;
  const extra: Record<string, Json> = {};
  const put = (name: string, value: Json | null) => {
    if (value !== null) extra[name] = value;
  };
  put('version', meta.version);
  put('engine', engine);
  put('clusterId', meta.clusterId);
  put('instanceId', meta.instanceId);
  for (const f of SERVER_FIELDS) put(f, text(event[f]));
  put('dbid', idText(event.dbid));
  if (isNonEmptyObject(event.engineNativeAuditFields)) put('engineNativeAuditFields', json(event.engineNativeAuditFields));
  for (const f of TIME_FIELDS) put(f, typeof event[f] === 'string' ? text(event[f]) : null);
  put('statementKey', key);
  return extra;
}

export function toActivity(input: EventInput, ctx: DecodeContext, position: string, topic?: string): ActivityEvent {
  const { meta, event } = input;
  const engine = detectEngine(event, meta.version);
  const rawClass = text(event.class);
  const command = text(event.command);
  const commandText = text(event.commandText);
  const exitCode = idText(event.exitCode);
  const errorMessage = text(event.errorMessage);
  return activity({
    format: 'das',
    position,
    class: classifyDasEvent({ engine, rawClass, command, commandText, exitCode, errorMessage }),
    rawClass,
    command,
    commandText,
    objectType: text(event.objectType),
    objectName: text(event.objectName),
    database: text(event.databaseName),
    dbUser: text(event.dbUserName),
    remoteHost: text(event.remoteHost),
    remotePort: idText(event.remotePort),
    clientApplication: text(event.clientApplication),
    sessionId: idText(event.sessionId),
    pid: idText(event.pid),
    statementId: idText(event.statementId),
    substatementId: idText(event.substatementId),
    rowCount: count(event.rowCount),
    exitCode,
    errorMessage,
    txId: transactionIdOf(event.transactionId),
    startedAt: parseDasTimestamp(event.startTime),
    occurredAt: parseDasTimestamp(event.logTime) ?? parseDasTimestamp(event.endTime),
    server: meta.clusterId ?? resourceIdFor(ctx, topic) ?? meta.instanceId ?? text(event.serverHost),
    parameters: Array.isArray(event.paramList) ? json(event.paramList) : null,
    extra: extraOf(input, engine, statementKey(input, engine, rawClass)),
  });
}
