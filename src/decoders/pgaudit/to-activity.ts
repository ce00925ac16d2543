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

type Facts = Readonly<Record<string, Json | null>>;

/** Format-specific facts, absent keys rather than nulls: `head`, the destination and severity, `notes`, the entry's. */
export function entryExtra(entry: LogEntry, head: Facts, notes: Facts = {}): JsonRow {
  const extra: Record<string, Json> = {};
  const put = (key: string, value: Json | null) => {
    if (value !== null) extra[key] = value;
  };
  for (const [k, v] of Object.entries(head)) put(k, v);
  put('logDestination', entry.destination);
  put('severity', entry.severity);
  for (const [k, v] of Object.entries(notes)) put(k, v);
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

/** Who, where and when, from the entry's prefix or columns (`server` stays null: a log names no server). */
export function entryFacts(entry: LogEntry) {
  return {
    database: entry.database,
    dbUser: entry.user,
    remoteHost: entry.remoteHost,
    remotePort: entry.remotePort,
    clientApplication: entry.application,
    sessionId: entry.sessionId,
    pid: entry.pid,
    exitCode: entry.sqlState,
    txId: entry.txid,
    startedAt: null,
    occurredAt: entry.occurredAt,
    server: null,
  } as const;
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
    ...entryFacts(entry),
    statementId: p.statementId,
    substatementId: p.substatementId,
    rowCount: p.rows,
    errorMessage: null,
    parameters: p.parameters === null ? null : [...p.parameters],
    extra: entryExtra(entry, { auditType: p.auditType }, { statementNote: p.statementNote, parameterNote: p.parameterNote }),
  });
}
