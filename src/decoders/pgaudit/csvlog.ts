/**
 * csvlog records (log_destination = 'csvlog'; PG `runtime-config-logging.html` "Using CSV-Format Log
 * Output"; docs/formats/pgaudit.md). The column count says the server version:
 *   23 columns — PostgreSQL 12 and earlier (… `location`, `application_name`)
 *   24 columns — PostgreSQL 13 (+ `backend_type`)
 *   26 columns — PostgreSQL 14 and later (+ `leader_pid`, `query_id`)
 * A quoted field (the message, a multi-line statement) may span lines; the framer keeps them together.
 */
import { parseCsv } from './csv.js';
import type { LogEntry } from './log-entry.js';
import { intOrNull, known, nonZero, splitRemote } from './log-entry.js';
import { parseLogTimestamp } from './log-time.js';

/** 1-based column numbers of the PG 14+ layout; the older layouts are its prefixes. */
export const CSVLOG_COLUMNS = [
  'log_time', 'user_name', 'database_name', 'process_id', 'connection_from', 'session_id',
  'session_line_num', 'command_tag', 'session_start_time', 'virtual_transaction_id', 'transaction_id',
  'error_severity', 'sql_state_code', 'message', 'detail', 'hint', 'internal_query', 'internal_query_pos',
  'context', 'query', 'query_pos', 'location', 'application_name', 'backend_type', 'leader_pid', 'query_id',
] as const;
export type CsvlogColumn = (typeof CSVLOG_COLUMNS)[number];

/** Column count → the PostgreSQL versions that write it. */
export const CSVLOG_LAYOUTS: ReadonlyMap<number, string> = new Map([
  [23, 'PostgreSQL 12 or earlier'],
  [24, 'PostgreSQL 13'],
  [26, 'PostgreSQL 14 or later'],
]);

/** How every csvlog record begins: `log_time` (`2026-11-22 23:23:14.229 UTC`) and a comma. */
export const CSVLOG_START = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}(?: [^,\s]+)?,/;

export type CsvlogResult = { readonly ok: true; readonly entry: LogEntry } | { readonly ok: false; readonly reason: string };

/** Parse one framed csvlog record. `reason` never quotes field contents. */
export function parseCsvlogRecord(text: string): CsvlogResult {
  const parsed = parseCsv(text);
  if (!parsed.ok) return { ok: false, reason: `csvlog record is not valid CSV: ${parsed.reason}` };
  const fields = parsed.fields;
  if (!CSVLOG_LAYOUTS.has(fields.length)) {
    return { ok: false, reason: `csvlog record has ${fields.length} columns; expected 23 (PostgreSQL 12), 24 (13) or 26 (14+)` };
  }
  const col = (name: CsvlogColumn): string | null => {
    const f = fields[CSVLOG_COLUMNS.indexOf(name)];
    return f === undefined || (!f.quoted && f.value === '') ? null : f.value;
  };
  const rawTime = known(col('log_time'));
  const remote = splitRemote(col('connection_from'), 'colon');
  return {
    ok: true,
    entry: {
      destination: 'csvlog',
      severity: col('error_severity') ?? '',
      message: col('message') ?? '',
      sqlState: known(col('sql_state_code')),
      rawTime,
      occurredAt: rawTime === null ? null : parseLogTimestamp(rawTime),
      user: known(col('user_name')),
      database: known(col('database_name')),
      pid: known(col('process_id')),
      remoteHost: remote.host,
      remotePort: remote.port,
      application: known(col('application_name')),
      sessionId: known(col('session_id')),
      sessionLine: intOrNull(col('session_line_num')),
      sessionStart: known(col('session_start_time')),
      vxid: known(col('virtual_transaction_id')),
      txid: nonZero(col('transaction_id')),
      commandTag: known(col('command_tag')),
      backendType: known(col('backend_type')),
      leaderPid: known(col('leader_pid')),
      queryId: nonZero(col('query_id')),
    },
  };
}
