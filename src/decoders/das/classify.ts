/**
 * Normalizing a DAS event's class (events.ts `ActivityClass`), so users can segregate activity the same way
 * whatever the engine. The raw class and command are kept beside it on the event. Rules, first match wins
 * (docs/formats/das.md "Class normalization" has the table):
 *
 * 1. AUTH_FAILURE — a failed login: SQL Server `LOGIN FAILED`, Aurora MySQL `FAILED_CONNECT`, a connect/logon
 *    command that failed (PostgreSQL CONNECT with an error, Aurora MySQL CONNECT with a nonzero exitCode such as
 *    1045, Oracle LOGON with RETURN_CODE 1017), a PostgreSQL SQLSTATE of class 28 (invalid authorization
 *    specification), or an error message saying "authentication failed".
 * 2. CONNECT / DISCONNECT — by command (`CONNECT`, `LOGON`, `LOGIN SUCCEEDED` / `DISCONNECT`, `LOGOFF`,
 *    `LOGOUT`), whatever the class: the Aurora PostgreSQL doc samples show connects with class MISC.
 * 3. ERROR — a statement that failed: a non-empty errorMessage, or an exitCode meaning failure for its engine.
 * 4. The engine's own class where it is a statement class (PostgreSQL READ/WRITE/DDL/ROLE/FUNCTION/MISC,
 *    SQL Server SCHEMA → DDL), else the statement's verb (statement-class.ts): Aurora MySQL MAIN QUERY by
 *    commandText, AUX by its command (READ, WRITE, CREATE…), Oracle by ACTION_NAME, SQL Server TABLE by command.
 * 5. OTHER when nothing above says.
 */
import type { ActivityClass } from '../../model/events.js';
import type { DasEngine } from './engine.js';
import { sqlStateOutcome } from '../sqlstate.js';
import { statementClass } from './statement-class.js';

export interface ClassifyInput {
  readonly engine: DasEngine | null;
  readonly rawClass: string | null;
  readonly command: string | null;
  readonly commandText: string | null;
  readonly exitCode: string | null;
  readonly errorMessage: string | null;
}

const CONNECT_COMMANDS = new Set(['CONNECT', 'LOGON', 'LOGIN', 'LOGIN SUCCEEDED']);
const DISCONNECT_COMMANDS = new Set(['DISCONNECT', 'LOGOFF', 'LOGOFF BY CLEANUP', 'LOGOUT']);
const AUTH_FAILURE_COMMANDS = new Set(['LOGIN FAILED', 'FAILED_CONNECT']);
/** Aurora PostgreSQL classes that already are normalized classes (AUR class list; MISC_SET as in pgAudit). */
const PG_CLASSES: Readonly<Record<string, ActivityClass>> = {
  READ: 'READ', WRITE: 'WRITE', DDL: 'DDL', ROLE: 'ROLE', FUNCTION: 'FUNCTION', MISC: 'MISC', MISC_SET: 'MISC',
  CONNECT: 'CONNECT',
};
/** Aurora MySQL AUX commands (per-object records of one statement). */
const MYSQL_AUX: Readonly<Record<string, ActivityClass>> = {
  READ: 'READ', WRITE: 'WRITE', CREATE: 'DDL', DROP: 'DDL', ALTER: 'DDL', RENAME: 'DDL',
};

const upper = (v: string | null) => (v === null ? '' : v.trim().replace(/\s+/g, ' ').toUpperCase());

/** Does the exitCode say the statement failed? Engine-specific (docs/formats/das.md "Event fields per engine", "Oracle and SQL Server"). */
export function exitCodeFailed(engine: DasEngine | null, exitCode: string | null): boolean {
  if (exitCode === null) return false;
  const code = exitCode.trim().toUpperCase();
  if (code === '') return false;
  switch (engine) {
    case 'postgresql': // null or 0 on success; the session exit code or the SQLSTATE otherwise
      return code !== '0' && sqlStateOutcome(code) !== 'success';
    case 'mysql': // "0" or "" on success, else the MySQL error number
    case 'oracle': // UNIFIED_AUDIT_TRAIL RETURN_CODE: 0 on success, else the ORA- number
      return code !== '0';
    case 'sqlserver': // sys.fn_get_audit_file `succeeded`: 1 on success, 0 on failure
      return code === '0';
    default: // engine unknown: the value cannot be read safely
      return false;
  }
}

function isAuthFailure(i: ClassifyInput, cmd: string, failed: boolean): boolean {
  if (AUTH_FAILURE_COMMANDS.has(cmd)) return true;
  if (CONNECT_COMMANDS.has(cmd) && failed) return true;
  if (i.engine === 'postgresql' && sqlStateOutcome(i.exitCode) === 'auth-failure') return true;
  return i.errorMessage !== null && /\bauthentication failed\b/i.test(i.errorMessage);
}

function byEngineClass(i: ClassifyInput, cls: string, cmd: string): ActivityClass | null {
  switch (i.engine) {
    case 'mysql':
      if (cls === 'AUX') return MYSQL_AUX[cmd] ?? statementClass(cmd);
      if (cmd === 'QUERY') return statementClass(i.commandText);
      if (cmd === 'CHANGEUSER') return 'MISC';
      return statementClass(cmd);
    case 'sqlserver':
      if (cls === 'SCHEMA') return 'DDL';
      if (/ROLE|USER|PRINCIPAL|LOGIN/.test(cls)) return 'ROLE';
      return statementClass(cmd) ?? statementClass(i.commandText);
    case 'oracle':
      return statementClass(cmd) ?? statementClass(i.commandText);
    default: // PostgreSQL, and events whose engine cannot be told (their class may still be a PostgreSQL one)
      return PG_CLASSES[cls] ?? statementClass(cmd) ?? statementClass(i.commandText);
  }
}

export function classifyDasEvent(i: ClassifyInput): ActivityClass {
  const cmd = upper(i.command);
  const cls = upper(i.rawClass);
  const failed = (i.errorMessage !== null && i.errorMessage.trim() !== '') || exitCodeFailed(i.engine, i.exitCode);
  if (isAuthFailure(i, cmd, failed)) return 'AUTH_FAILURE';
  if (CONNECT_COMMANDS.has(cmd)) return 'CONNECT';
  if (DISCONNECT_COMMANDS.has(cmd)) return 'DISCONNECT';
  if (failed) return 'ERROR';
  return byEngineClass(i, cls, cmd) ?? 'OTHER';
}
