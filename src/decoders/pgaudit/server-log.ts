/**
 * PostgreSQL's own log messages as activity, for servers without pgAudit (`--server-log`;
 * docs/formats/pgaudit.md "Without pgAudit: the server's own log"). With `lc_messages = 'C'` the server
 * writes (PG `src/backend/tcop/postgres.c`, `src/backend/utils/init/postinit.c`,
 * `src/backend/libpq/auth.c`):
 *   - `statement: <text>` (log_statement, simple query) and `execute <name>: <text>` (extended protocol),
 *   - `connection authorized: user=… database=… [application_name=…]` (log_connections),
 *   - `disconnection: session time: … user=… database=… host=… [port=…]` (log_disconnections),
 *   - ERROR and FATAL entries: a failed login is FATAL with SQLSTATE class 28 (`28P01` password
 *     authentication failed, `28000` no pg_hba.conf entry or no such role).
 * The user, database, client and session come from the entry's columns (csvlog, jsonlog) or prefix.
 * Other messages (checkpoints, `connection received`, DETAIL lines) are not activity: null.
 */
import { activity, type ActivityClass, type ActivityEvent } from '../../model/events.js';
import { sqlStateOutcome } from '../sqlstate.js';
import type { LogEntry } from './log-entry.js';
import { entryExtra, entryFacts } from './to-activity.js';

export type ServerLogKind = 'statement' | 'connection' | 'disconnection' | 'error';

const STATEMENT = /^(?:statement|execute [^:]*): ([\s\S]*)$/;
const CONNECTED = /^(?:replication )?connection authorized: /;
const DISCONNECTED = /^disconnection: /;
const FAILING = new Set(['ERROR', 'FATAL', 'PANIC']);

/** Leading blanks, comments and parentheses before a statement's first keyword. */
const LEAD = /^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/|\()*/;
const MODIFIERS = new Set(['OR', 'REPLACE', 'TEMP', 'TEMPORARY', 'UNLOGGED', 'UNIQUE', 'GLOBAL', 'LOCAL', 'RECURSIVE', 'TRUSTED', 'PROCEDURAL', 'DEFAULT', 'CONSTRAINT']);
const TWO_WORD_OBJECTS = new Set(['MATERIALIZED', 'FOREIGN', 'EVENT', 'ACCESS', 'TEXT', 'USER']);
const ROLE_OBJECTS = new Set(['ROLE', 'USER', 'GROUP', 'POLICY']);

/** The statement's command (`UPDATE`, `CREATE TABLE`, `DROP INDEX`) and its class, from its text. */
export function commandOf(text: string): { command: string; cls: ActivityClass } | null {
  const words = text.replace(LEAD, '').split(/[\s(;]+/, 8).map((w) => w.toUpperCase());
  const verb = words[0];
  if (!verb || !/^[A-Z]+$/.test(verb)) return null;
  if (verb === 'CREATE' || verb === 'ALTER' || verb === 'DROP' || verb === 'COMMENT' || verb === 'SECURITY') {
    if (verb === 'COMMENT' || verb === 'SECURITY') return { command: verb === 'COMMENT' ? 'COMMENT' : 'SECURITY LABEL', cls: 'DDL' };
    const rest = words.slice(1).filter((w) => !MODIFIERS.has(w));
    const object = rest[0] && TWO_WORD_OBJECTS.has(rest[0]) && rest[1] ? `${rest[0]} ${rest[1]}` : (rest[0] ?? '');
    return { command: `${verb} ${object}`.trim(), cls: ROLE_OBJECTS.has(object) ? 'ROLE' : 'DDL' };
  }
  switch (verb) {
    case 'INSERT': case 'UPDATE': case 'DELETE': case 'MERGE': case 'TRUNCATE':
      return { command: verb, cls: 'WRITE' };
    case 'COPY':
      return { command: verb, cls: /\bFROM\b/i.test(text) ? 'WRITE' : 'READ' };
    case 'SELECT': case 'WITH': case 'VALUES': case 'TABLE': case 'SHOW': case 'FETCH':
      return { command: verb, cls: 'READ' };
    case 'GRANT': case 'REVOKE': case 'REASSIGN':
      return { command: verb, cls: 'ROLE' };
    case 'DO': case 'CALL':
      return { command: verb, cls: 'FUNCTION' };
    default:
      return { command: verb, cls: 'MISC' };
  }
}

function base(position: string, entry: LogEntry, kind: ServerLogKind) {
  return {
    format: 'pgaudit' as const,
    position,
    objectType: null,
    objectName: null,
    ...entryFacts(entry),
    statementId: null,
    substatementId: null,
    rowCount: null,
    parameters: null,
    extra: entryExtra(entry, { serverLog: kind }),
  };
}

/** The entry as an activity event, or null when it is not one of the messages above. */
export function serverLogActivity(position: string, entry: LogEntry): ActivityEvent | null {
  const m = entry.message;
  if (FAILING.has(entry.severity)) {
    const outcome = sqlStateOutcome(entry.sqlState);
    if (outcome === 'success') return null;
    const cls: ActivityClass = outcome === 'auth-failure' ? 'AUTH_FAILURE' : 'ERROR';
    return activity({ ...base(position, entry, 'error'), class: cls, rawClass: entry.severity, command: cls === 'AUTH_FAILURE' ? 'LOGIN' : null, commandText: null, errorMessage: m });
  }
  if (entry.severity !== 'LOG') return null;
  const statement = STATEMENT.exec(m);
  if (statement) {
    const text = statement[1]!;
    const c = commandOf(text);
    return activity({ ...base(position, entry, 'statement'), class: c?.cls ?? 'OTHER', rawClass: 'STATEMENT', command: c?.command ?? null, commandText: text, errorMessage: null });
  }
  if (CONNECTED.test(m)) {
    return activity({ ...base(position, entry, 'connection'), class: 'CONNECT', rawClass: 'CONNECTION', command: 'CONNECT', commandText: null, errorMessage: null });
  }
  if (DISCONNECTED.test(m)) {
    return activity({ ...base(position, entry, 'disconnection'), class: 'DISCONNECT', rawClass: 'DISCONNECTION', command: 'DISCONNECT', commandText: null, errorMessage: null });
  }
  return null;
}
