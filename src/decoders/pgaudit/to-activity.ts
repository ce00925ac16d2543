/**
 * A pgAudit entry as a normalized ActivityEvent: the AUDIT payload says what ran, the log entry (prefix,
 * csvlog or jsonlog columns) says who, where and when. `server` stays null: a log file does not name its
 * server, and attribution joins pgAudit activity to changes on txId.
 */
import { activity, type ActivityClass, type ActivityEvent } from '../../model/events.js';
import type { Json, JsonRow } from '../../model/json.js';
import { sqlStateOutcome } from '../sqlstate.js';
import type { AuditPayload } from './audit-payload.js';
import type { LogEntry } from './log-entry.js';
import { isoOrRaw } from './log-time.js';

const CLASSES: Readonly<Record<string, ActivityClass>> = {
  READ: 'READ',
  WRITE: 'WRITE',
  FUNCTION: 'FUNCTION',
  ROLE: 'ROLE',
  DDL: 'DDL',
  MISC: 'MISC',
  MISC_SET: 'MISC',
};

export function normalizeClass(rawClass: string): ActivityClass {
  return CLASSES[rawClass] ?? 'OTHER';
}

/**
 * The event's class: the CLASS as logged, unless the entry's SQLSTATE is a failing one (the warehouse
 * reads `success` from the class, docs/graphql.md). pgAudit's own entries carry `00000` (LOG) or `01000`
 * (WARNING), both success; the CLASS stays in rawClass either way.
 */
export function activityClass(rawClass: string, sqlState: string | null): ActivityClass {
  switch (sqlStateOutcome(sqlState)) {
    case 'failure':
      return 'ERROR';
    case 'auth-failure':
      return 'AUTH_FAILURE';
    default:
      return normalizeClass(rawClass);
  }
}

/** Format-specific facts, absent keys rather than nulls. */
function extraOf(entry: LogEntry, p: AuditPayload): JsonRow {
  const extra: Record<string, Json> = { auditType: p.auditType, logDestination: entry.destination, severity: entry.severity };
  const put = (key: string, value: Json | null) => {
    if (value !== null) extra[key] = value;
  };
  put('statementNote', p.statementNote);
  put('parameterNote', p.parameterNote);
  put('sessionLine', entry.sessionLine);
  put('sessionStart', entry.sessionStart === null ? null : isoOrRaw(entry.sessionStart));
  put('vxid', entry.vxid);
  put('commandTag', entry.commandTag);
  put('backendType', entry.backendType);
  put('leaderPid', entry.leaderPid);
  put('queryId', entry.queryId);
  if (entry.occurredAt === null) put('rawTime', entry.rawTime);
  if (entry.unusualPrefixFields) put('unusualPrefixFields', [...entry.unusualPrefixFields]);
  return Object.freeze(extra);
}

export function toActivity(position: string, entry: LogEntry, p: AuditPayload): ActivityEvent {
  return activity({
    format: 'pgaudit',
    position,
    class: activityClass(p.rawClass, entry.sqlState),
    rawClass: p.rawClass,
    command: p.command,
    commandText: p.statement,
    objectType: p.objectType,
    objectName: p.objectName,
    database: entry.database,
    dbUser: entry.user,
    remoteHost: entry.remoteHost,
    remotePort: entry.remotePort,
    clientApplication: entry.application,
    sessionId: entry.sessionId,
    pid: entry.pid,
    statementId: p.statementId,
    substatementId: p.substatementId,
    rowCount: p.rows,
    exitCode: entry.sqlState,
    errorMessage: null,
    txId: entry.txid,
    startedAt: null,
    occurredAt: entry.occurredAt,
    server: null,
    parameters: p.parameters === null ? null : [...p.parameters],
    extra: extraOf(entry, p),
  });
}
