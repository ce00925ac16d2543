/**
 * An activity event (DAS, pgAudit) as OCSF (docs/siem.md "OCSF"): logins, failed logins and logoffs are
 * Authentication (3002); every other statement is Datastore Activity (6005). Pure.
 */
import type { ActivityNode } from '../../graphql/nodes.js';
import { compact, verbatim, verbOf, type ActivityInput, type SiemEvent } from '../siem-input.js';
import { classification, endpoint, metadata, statusOf, timeOf } from './ocsf-common.js';
import { ocsfActor, ocsfUser } from './ocsf-actor.js';
import {
  AUTHENTICATION, AuthenticationActivityId, DATABASE_RELATIONAL, DATASTORE_ACTIVITY, DatastoreActivityId, DatastoreTypeId, SeverityId,
  type AuthenticationActivityName, type DatastoreActivityName,
} from './ocsf-schema.js';

const WRITE_VERBS: Record<string, DatastoreActivityName> = { INSERT: 'Create', UPDATE: 'Update', DELETE: 'Delete', MERGE: 'Write', UPSERT: 'Write', REPLACE: 'Write', COPY: 'Write' };
const DDL_VERBS: Record<string, DatastoreActivityName> = { CREATE: 'Create', ALTER: 'Update', DROP: 'Delete', TRUNCATE: 'Delete', RENAME: 'Update' };

/** The Datastore Activity an activity event is (docs/siem.md table "Activity → OCSF"). */
export function datastoreActivityOf(a: Pick<ActivityNode, 'class' | 'command'>): DatastoreActivityName {
  const verb = verbOf(a.command);
  switch (a.class) {
    case 'READ':
      return 'Query';
    case 'WRITE':
      return WRITE_VERBS[verb] ?? 'Write';
    case 'DDL':
      return DDL_VERBS[verb] ?? 'Other';
    case 'ERROR':
      return verb === 'SELECT' ? 'Query' : WRITE_VERBS[verb] ?? DDL_VERBS[verb] ?? 'Other';
    default:
      return 'Other';
  }
}

/** Logins, failed logins and logoffs; null for everything else. */
export function authenticationActivityOf(a: Pick<ActivityNode, 'class'>): AuthenticationActivityName | null {
  if (a.class === 'CONNECT' || a.class === 'AUTH_FAILURE') return 'Logon';
  if (a.class === 'DISCONNECT') return 'Logoff';
  return null;
}

const objectTable = (a: ActivityNode): string | null =>
  a.objectName !== null && (a.objectType === null || /table|view|relation/i.test(a.objectType)) ? a.objectName : null;

/** What auditql knows that OCSF has no attribute for (docs/siem.md "Extension fields"). */
const unmapped = (a: ActivityNode) => ({
  auditql: {
    kind: 'activity',
    id: a.id,
    class: a.class,
    raw_class: a.rawClass,
    command: a.command,
    object_type: a.objectType,
    object_name: a.objectName,
    row_count: a.rowCount,
    pid: a.pid,
    statement_id: a.statementId,
    substatement_id: a.substatementId,
    transaction_id: a.transactionId,
    server: a.server,
    source: a.source,
    position: a.position,
    parameters: a.parameters === null ? null : verbatim(a.parameters),
  },
});

function authentication(i: ActivityInput, name: AuthenticationActivityName): SiemEvent {
  const a = i.node;
  return compact({
    ...classification(AUTHENTICATION, name, AuthenticationActivityId[name]),
    ...timeOf(i),
    ...statusOf(a.success, SeverityId.Medium, a.exitCode, a.errorMessage),
    message: `${a.dbUser ?? 'unknown user'} ${name === 'Logoff' ? 'logged off' : a.success ? 'logged on' : 'failed to log on'}${a.database ? ` to database ${a.database}` : ''}`,
    metadata: metadata(i),
    user: ocsfUser(a.dbUser, null),
    actor: ocsfActor({ dbUser: a.dbUser, appUser: null, clientApplication: a.clientApplication, sessionId: a.sessionId }),
    src_endpoint: endpoint(a.remoteHost, a.remotePort),
    dst_endpoint: { name: a.server ?? undefined, svc_name: a.database ?? undefined },
    service: { name: a.database ?? a.server ?? a.format },
    is_remote: a.remoteHost !== null && !/^(localhost|127\.|::1|\[local\])/.test(a.remoteHost),
    auth_protocol_id: 0, // the sources do not say which protocol
    auth_protocol: 'Unknown',
    logon_type_id: 3, // Network
    logon_type: 'Network',
    session: a.sessionId ? { uid: a.sessionId } : undefined,
    start_time: a.startedAt?.getTime(),
    unmapped: unmapped(a),
  });
}

function datastore(i: ActivityInput, name: DatastoreActivityName): SiemEvent {
  const a = i.node;
  const table = objectTable(a);
  return compact({
    ...classification(DATASTORE_ACTIVITY, name, DatastoreActivityId[name]),
    ...timeOf(i),
    ...statusOf(a.success, SeverityId.Low, a.exitCode, a.errorMessage),
    message: `${a.dbUser ?? 'unknown user'}: ${a.command ?? a.class}${table ? ` ${table}` : ''}${a.success ? '' : ' (failed)'}`,
    metadata: metadata(i),
    actor: ocsfActor({ dbUser: a.dbUser, appUser: null, clientApplication: a.clientApplication, sessionId: a.sessionId }),
    src_endpoint: endpoint(a.remoteHost, a.remotePort),
    dst_endpoint: a.server ? { name: a.server } : undefined,
    database: { name: a.database ?? undefined, ...DATABASE_RELATIONAL, uid: a.server ?? undefined },
    table: table ? { name: table } : undefined,
    type_id: table ? DatastoreTypeId.Table : DatastoreTypeId.Database,
    type: table ? 'Table' : 'Database',
    query_info: a.commandText !== null ? { query_string: a.commandText, uid: a.statementId ?? undefined } : undefined,
    start_time: a.startedAt?.getTime(),
    unmapped: unmapped(a),
  });
}

/** An activity event as one OCSF event. */
export function activityToOcsf(i: ActivityInput): SiemEvent {
  const auth = authenticationActivityOf(i.node);
  return auth ? authentication(i, auth) : datastore(i, datastoreActivityOf(i.node));
}
