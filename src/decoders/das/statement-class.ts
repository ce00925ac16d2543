/**
 * The activity class a SQL statement (or a command name such as `CREATE TABLE`) belongs to, by its verb.
 * Used where the engine's own class does not say: Aurora MySQL `MAIN`/`QUERY` records, Oracle `Standard`
 * records (command = ACTION_NAME) and SQL Server object classes. The table follows the Aurora PostgreSQL
 * class definitions (AUR "databaseActivityEventList fields for Aurora PostgreSQL", which match pgAudit's):
 * READ = SELECT/COPY from a relation; WRITE = INSERT/UPDATE/DELETE/TRUNCATE/COPY into a relation;
 * ROLE = GRANT/REVOKE and CREATE/ALTER/DROP ROLE (and USER); DDL = other DDL; FUNCTION = calls and DO blocks;
 * MISC = everything else that is recognizably a command (transaction control, SET, VACUUM…).
 */
import type { ActivityClass } from '../../model/events.js';

const READ = new Set(['SELECT', 'TABLE', 'VALUES']);
const WRITE = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'REPLACE', 'TRUNCATE', 'UPSERT']);
const ROLE = new Set(['GRANT', 'REVOKE']);
const DDL = new Set(['CREATE', 'ALTER', 'DROP', 'RENAME', 'COMMENT', 'AUDIT', 'NOAUDIT', 'FLASHBACK']);
const FUNCTION = new Set(['CALL', 'EXEC', 'EXECUTE', 'DO']);
const MISC = new Set([
  'BEGIN', 'START', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'END', 'ABORT', 'SET', 'RESET', 'SHOW', 'USE',
  'DESCRIBE', 'DESC', 'EXPLAIN', 'VACUUM', 'ANALYZE', 'ANALYSE', 'CHECKPOINT', 'DISCARD', 'FETCH', 'MOVE', 'CLOSE',
  'DECLARE', 'LOCK', 'UNLOCK', 'PREPARE', 'DEALLOCATE', 'FLUSH', 'KILL', 'LISTEN', 'NOTIFY', 'UNLISTEN', 'CLUSTER',
  'REINDEX', 'OPTIMIZE', 'CHECK', 'REPAIR', 'HANDLER', 'CHECKSUM', 'PURGE', 'INSTALL', 'UNINSTALL', 'XA', 'HELP',
]);
/** After CREATE/ALTER/DROP/RENAME: objects that are principals, so the statement is ROLE, not DDL. */
const PRINCIPALS = new Set(['ROLE', 'USER', 'GROUP', 'LOGIN', 'PROFILE']);
/** Words that may sit between the verb and the object type (`CREATE OR REPLACE`, `CREATE GLOBAL TEMPORARY`…). */
const MODIFIERS = new Set(['OR', 'REPLACE', 'GLOBAL', 'LOCAL', 'TEMP', 'TEMPORARY', 'UNIQUE', 'IF', 'NOT', 'EXISTS', 'PUBLIC']);

/** Leading whitespace, comments and opening parentheses removed; upper-cased. */
function head(sql: string): string {
  let s = sql;
  for (;;) {
    const t = s.replace(/^[\s(;]+/, '');
    if (t.startsWith('--') || t.startsWith('#')) s = t.replace(/^[^\n]*\n?/, '');
    else if (t.startsWith('/*')) {
      const end = t.indexOf('*/');
      s = end < 0 ? '' : t.slice(end + 2);
    } else return t.slice(0, 4000).toUpperCase();
  }
}

function words(s: string, n: number): string[] {
  return s.split(/[^A-Z0-9_$]+/).filter(Boolean).slice(0, n);
}

/** The class of a statement or command name by its verb; null when the verb is not recognized. */
export function statementClass(sql: unknown): ActivityClass | null {
  if (typeof sql !== 'string') return null;
  const s = head(sql);
  const [verb, ...rest] = words(s, 8);
  if (!verb) return null;
  if (READ.has(verb)) return 'READ';
  if (WRITE.has(verb)) return 'WRITE';
  if (ROLE.has(verb)) return 'ROLE';
  if (verb === 'WITH') return /\b(INSERT|UPDATE|DELETE|MERGE)\b/.test(s) ? 'WRITE' : 'READ';
  if (verb === 'COPY') {
    if (/^COPY\s*\(/.test(s)) return 'READ';
    const m = /^COPY\s+[^\s(]+\s*(?:\([^)]*\))?\s*(FROM|TO)\b/.exec(s);
    return m ? (m[1] === 'FROM' ? 'WRITE' : 'READ') : 'MISC';
  }
  if (verb === 'LOAD') return rest[0] === 'DATA' || rest[0] === 'XML' ? 'WRITE' : 'MISC';
  if (verb === 'SET' && rest[0] === 'PASSWORD') return 'ROLE';
  if (DDL.has(verb)) {
    const object = rest.find((w) => !MODIFIERS.has(w));
    return object !== undefined && PRINCIPALS.has(object) ? 'ROLE' : 'DDL';
  }
  if (FUNCTION.has(verb)) return 'FUNCTION';
  if (MISC.has(verb)) return 'MISC';
  return null;
}
