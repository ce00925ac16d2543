/**
 * An activity event as an ECS document (docs/siem.md "ECS"): `event.category` database, or
 * authentication and session for logins and logoffs; `event.type` access for reads, change for writes
 * and DDL, start/end for sessions (a failed login: start, outcome failure), error beside for failed statements; `event.outcome` success or failure. Pure.
 */
import { compact, verbatim, type ActivityInput, type SiemEvent } from '../siem-input.js';
import { datastoreActivityOf } from '../ocsf/ocsf-activity.js';
import { ecsBase, ecsSource, ecsUser, related } from './ecs-common.js';

interface Categorized {
  readonly category: string[];
  readonly type: string[];
}

function categorize(i: ActivityInput): Categorized {
  const a = i.node;
  const fail = a.success ? [] : ['error'];
  switch (a.class) {
    // A failed login is a start with outcome failure (ECS has no error type for authentication).
    case 'CONNECT':
      return { category: ['authentication', 'session'], type: ['start'] };
    case 'AUTH_FAILURE':
      return { category: ['authentication'], type: ['start'] };
    case 'DISCONNECT':
      return { category: ['session'], type: ['end'] };
    case 'READ':
      return { category: ['database'], type: ['access', ...fail] };
    case 'WRITE':
    case 'DDL':
      return { category: ['database'], type: ['change', ...fail] };
    case 'ROLE':
      return { category: ['database', 'iam'], type: ['admin', ...fail] };
    case 'ERROR':
      return { category: ['database'], type: ['error'] };
    default:
      return { category: ['database'], type: a.success ? ['info'] : ['error'] };
  }
}

export function activityToEcs(i: ActivityInput): SiemEvent {
  const a = i.node;
  const base = ecsBase(i);
  const c = categorize(i);
  return compact({
    ...base,
    message: a.commandText ?? `${a.command ?? a.class}${a.dbUser ? ` by ${a.dbUser}` : ''}`,
    event: {
      ...(base.event as object),
      category: c.category,
      type: c.type,
      outcome: a.success ? 'success' : 'failure',
      action: (a.command ?? a.class).toLowerCase(),
      code: a.exitCode ?? undefined,
      start: a.startedAt?.toISOString(),
      end: a.occurredAt?.toISOString(),
    },
    user: ecsUser(a.dbUser, null),
    related: related(a.dbUser),
    source: ecsSource(a.remoteHost, a.remotePort),
    server: a.server ? { address: a.server } : undefined,
    process: a.pid !== null && /^\d+$/.test(a.pid) ? { pid: Number(a.pid) } : undefined,
    error: a.success ? undefined : { code: a.exitCode ?? undefined, message: a.errorMessage ?? undefined },
    db: {
      system: a.format === 'pgaudit' ? 'postgresql' : undefined,
      name: a.database ?? undefined,
      user: a.dbUser ?? undefined,
      operation: a.command ?? undefined,
      statement: a.commandText ?? undefined,
      sql: a.objectName ? { table: a.objectName } : undefined,
    },
    auditql: {
      kind: 'activity',
      id: a.id,
      class: a.class,
      raw_class: a.rawClass,
      ocsf_activity: datastoreActivityOf(a),
      client_application: a.clientApplication,
      session_id: a.sessionId,
      object_type: a.objectType,
      row_count: a.rowCount,
      statement_id: a.statementId,
      substatement_id: a.substatementId,
      transaction_id: a.transactionId,
      source: a.source,
      position: a.position,
      parameters: a.parameters === null ? null : verbatim(a.parameters),
    },
  });
}
