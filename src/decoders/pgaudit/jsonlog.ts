/**
 * jsonlog records (log_destination = 'jsonlog', PostgreSQL 15+; PG `runtime-config-logging.html` "Using
 * JSON-Format Log Output"): one JSON object per line. Keys used here: `timestamp`, `user`, `dbname`, `pid`,
 * `remote_host`, `remote_port`, `session_id`, `line_num`, `ps` (command tag), `session_start`, `vxid`,
 * `txid`, `error_severity`, `state_code`, `message`, `application_name`, `backend_type`, `leader_pid`,
 * `query_id`. Keys whose value is unknown are omitted by the server (e.g. `user` for the postmaster).
 */
import { isPlainObject } from '../../model/json.js';
import type { LogEntry } from './log-entry.js';
import { AUDIT_MARKER, intOrNull, known, nonZero } from './log-entry.js';
import { LINE_LABELS } from './log-line-prefix.js';
import { parseLogTimestamp } from './log-time.js';

export interface JsonlogRecord {
  readonly timestamp?: string;
  readonly user?: string;
  readonly dbname?: string;
  readonly pid?: number;
  readonly remote_host?: string;
  readonly remote_port?: number;
  readonly session_id?: string;
  readonly line_num?: number;
  readonly ps?: string;
  readonly session_start?: string;
  readonly vxid?: string;
  readonly txid?: number | string;
  readonly error_severity?: string;
  readonly state_code?: string;
  readonly message?: string;
  readonly application_name?: string;
  readonly backend_type?: string;
  readonly leader_pid?: number;
  /** int64: travels as a decimal string when a double cannot hold it (lossless parse). */
  readonly query_id?: number | string;
}

const SEVERITIES: ReadonlySet<string> = new Set(LINE_LABELS);

/**
 * Is this parsed JSON value a PostgreSQL jsonlog record? Any object whose `message` starts with `AUDIT:`,
 * and any record with the jsonlog shape (`timestamp` and `message` strings, a PostgreSQL `error_severity`),
 * so that `--format auto` skips a jsonlog file's other lines instead of calling them unknown. Debezium,
 * Maxwell and DAS records have none of these keys.
 */
export function isJsonlogRecord(value: unknown): value is JsonlogRecord {
  if (!isPlainObject(value) || typeof value['message'] !== 'string') return false;
  if (value['message'].startsWith(AUDIT_MARKER.trimEnd())) return true;
  return typeof value['timestamp'] === 'string' && typeof value['error_severity'] === 'string' && SEVERITIES.has(value['error_severity']);
}

const text = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : null;

export function jsonlogEntry(r: JsonlogRecord): LogEntry {
  const rawTime = known(text(r.timestamp));
  return {
    destination: 'jsonlog',
    severity: text(r.error_severity) ?? '',
    message: text(r.message) ?? '',
    sqlState: known(text(r.state_code)),
    rawTime,
    occurredAt: rawTime === null ? null : parseLogTimestamp(rawTime),
    user: known(text(r.user)),
    database: known(text(r.dbname)),
    pid: known(text(r.pid)),
    remoteHost: known(text(r.remote_host)),
    remotePort: known(text(r.remote_port)),
    application: known(text(r.application_name)),
    sessionId: known(text(r.session_id)),
    sessionLine: intOrNull(text(r.line_num)),
    sessionStart: known(text(r.session_start)),
    vxid: known(text(r.vxid)),
    txid: nonZero(text(r.txid)),
    commandTag: known(text(r.ps)),
    backendType: known(text(r.backend_type)),
    leaderPid: known(text(r.leader_pid)),
    queryId: nonZero(text(r.query_id)),
  };
}
