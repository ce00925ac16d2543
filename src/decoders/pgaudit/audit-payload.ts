/**
 * The pgAudit message (pgAudit README "Format"; docs/formats/pgaudit.md):
 *
 *   AUDIT: AUDIT_TYPE,STATEMENT_ID,SUBSTATEMENT_ID,CLASS,COMMAND,OBJECT_TYPE,OBJECT_NAME,STATEMENT,PARAMETER[,ROWS]
 *
 * proper CSV once the `AUDIT: ` is removed. PARAMETER is `<none>` (no parameters), `<not logged>`
 * (pgaudit.log_parameter off or pgaudit.log_statement off), `<previously logged>`
 * (pgaudit.log_statement_once, after the first entry), `<long param suppressed>`, or the values as one CSV
 * field that is itself CSV (each value written with the same quoting; a NULL or an empty value is an empty
 * item, the two cannot be told apart; a value above pgaudit.log_parameter_max_size is the item
 * `<long param suppressed>`). STATEMENT is the text, `<not logged>` or `<previously logged>`.
 * ROWS is present with pgaudit.log_rows = on.
 */
import { undecodable } from '../../errors.js';
import { parseCsv } from './csv.js';
import { AUDIT_MARKER } from './log-entry.js';

export type AuditType = 'SESSION' | 'OBJECT';

export interface AuditPayload {
  readonly auditType: AuditType;
  readonly statementId: string;
  readonly substatementId: string;
  /** As logged: READ, WRITE, FUNCTION, ROLE, DDL, MISC, MISC_SET. */
  readonly rawClass: string;
  readonly command: string | null;
  readonly objectType: string | null;
  readonly objectName: string | null;
  /** The statement text; null when empty or replaced by a marker (then `statementNote` holds it). */
  readonly statement: string | null;
  readonly statementNote: string | null;
  /** The bind values; null when PARAMETER is a marker (then `parameterNote` holds it). */
  readonly parameters: readonly string[] | null;
  readonly parameterNote: string | null;
  readonly rows: number | null;
}

export const PARAMETER_MARKERS: ReadonlySet<string> = new Set([
  '<none>', '<not logged>', '<previously logged>', '<long param suppressed>',
]);
export const STATEMENT_MARKERS: ReadonlySet<string> = new Set(['<not logged>', '<previously logged>']);

const COUNTER = /^\d{1,19}$/;

const orNull = (s: string): string | null => (s === '' ? null : s);

/**
 * Parse the text after `AUDIT: ` (or the whole message, `AUDIT: ` included). Throws DecodeError
 * (AUDITQL_UNDECODABLE_RECORD) naming what is wrong, never quoting the statement or the values.
 */
export function parseAuditPayload(message: string): AuditPayload {
  const body = message.startsWith(AUDIT_MARKER) ? message.slice(AUDIT_MARKER.length) : message;
  const parsed = parseCsv(body);
  if (!parsed.ok) throw undecodable(`pgAudit AUDIT payload is not valid CSV: ${parsed.reason}`);
  const f = parsed.fields.map((x) => x.value);
  if (f.length !== 9 && f.length !== 10) {
    throw undecodable(`pgAudit AUDIT payload has ${f.length} fields; expected 9, or 10 with pgaudit.log_rows`);
  }
  const [auditType, statementId, substatementId, rawClass, command, objectType, objectName, statement, parameter, rows] = f as [
    string, string, string, string, string, string, string, string, string, string | undefined,
  ];
  if (auditType !== 'SESSION' && auditType !== 'OBJECT') {
    throw undecodable('pgAudit AUDIT_TYPE is neither SESSION nor OBJECT');
  }
  if (!COUNTER.test(statementId) || !COUNTER.test(substatementId)) {
    throw undecodable('pgAudit STATEMENT_ID and SUBSTATEMENT_ID must be non-negative integers');
  }
  if (!/^[A-Z_]+$/.test(rawClass)) throw undecodable('pgAudit CLASS is not a class name');
  if (rows !== undefined && !/^\d{1,15}$/.test(rows)) throw undecodable('pgAudit ROWS is not a row count');

  let parameters: readonly string[] | null = null;
  let parameterNote: string | null = null;
  if (PARAMETER_MARKERS.has(parameter)) parameterNote = parameter;
  else {
    const values = parseCsv(parameter);
    if (!values.ok) throw undecodable(`pgAudit PARAMETER list is not valid CSV: ${values.reason}`);
    parameters = Object.freeze(values.fields.map((x) => x.value));
  }
  return Object.freeze({
    auditType,
    statementId,
    substatementId,
    rawClass,
    command: orNull(command),
    objectType: orNull(objectType),
    objectName: orNull(objectName),
    statement: STATEMENT_MARKERS.has(statement) ? null : orNull(statement),
    statementNote: STATEMENT_MARKERS.has(statement) ? statement : null,
    parameters,
    parameterNote,
    rows: rows === undefined ? null : Number(rows),
  });
}
