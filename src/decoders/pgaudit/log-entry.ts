/**
 * One PostgreSQL log entry, whichever destination wrote it (stderr with a log_line_prefix, csvlog, jsonlog):
 * the facts the three share, as text the way the server wrote them, before normalization. A field the
 * destination or prefix does not carry is null.
 */
export type LogDestination = 'stderr' | 'csvlog' | 'jsonlog';

export interface LogEntry {
  readonly destination: LogDestination;
  /** `LOG`, `NOTICE`, `WARNING`, … (csvlog `error_severity`, jsonlog `error_severity`). */
  readonly severity: string;
  /** The message text: for pgAudit, `AUDIT: …`. Multi-line messages are joined with `\n`. */
  readonly message: string;
  readonly sqlState: string | null;
  /** Log time as written (`2026-11-22 23:23:14.229 UTC`), and the instant when it resolves. */
  readonly rawTime: string | null;
  readonly occurredAt: Date | null;
  readonly user: string | null;
  readonly database: string | null;
  readonly pid: string | null;
  readonly remoteHost: string | null;
  readonly remotePort: string | null;
  readonly application: string | null;
  readonly sessionId: string | null;
  readonly sessionLine: number | null;
  readonly sessionStart: string | null;
  readonly vxid: string | null;
  /** Top-level transaction id, `0` already turned into null. */
  readonly txid: string | null;
  readonly commandTag: string | null;
  readonly backendType: string | null;
  readonly leaderPid: string | null;
  /** `0` (compute_query_id off) already turned into null. */
  readonly queryId: string | null;
  /** stderr: the log_line_prefix fields read leniently because they were not in their usual form. */
  readonly unusualPrefixFields?: readonly string[];
}

/** Severities pgAudit can log at (`pgaudit.log_level`: DEBUG1..5, INFO, NOTICE, WARNING, LOG; default LOG). */
export const AUDIT_SEVERITIES: ReadonlySet<string> = new Set(['LOG', 'NOTICE', 'WARNING', 'INFO', 'DEBUG']);

export const AUDIT_MARKER = 'AUDIT: ';

/** Text the server writes for an unknown value (`[unknown]`) or an empty one → null. */
export function known(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const v = value.trim();
  return v === '' || v === '[unknown]' ? null : v;
}

/** A transaction id or query id: `0` means none. */
export function nonZero(value: string | null | undefined): string | null {
  const v = known(value);
  return v === null || /^-?0+$/.test(v) ? null : v;
}

export function intOrNull(value: string | null | undefined): number | null {
  const v = known(value);
  return v !== null && /^\d{1,15}$/.test(v) ? Number(v) : null;
}

/** `%r` / csvlog `connection_from`: `host(port)`, `host:port`, `host`, or `[local]` (a Unix socket). */
export function splitRemote(remote: string | null, style: 'paren' | 'colon'): { host: string | null; port: string | null } {
  const r = known(remote);
  if (r === null) return { host: null, port: null };
  if (r === '[local]') return { host: r, port: null };
  const m = style === 'paren' ? /^(.*)\((\d+)\)$/.exec(r) : /^(.*):(\d+)$/.exec(r);
  return m ? { host: known(m[1]), port: m[2]! } : { host: r, port: null };
}
