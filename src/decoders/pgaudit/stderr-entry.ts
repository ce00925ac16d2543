/**
 * A stderr-format entry (log_destination = 'stderr', usually via the logging collector): the first line is
 * `<log_line_prefix><SEVERITY>:  [<SQLSTATE>: ]<message>`; the SQLSTATE is there with
 * log_error_verbosity = verbose. A message with newlines continues on the following lines, and PostgreSQL
 * (elog.c `append_with_tabs`) writes a tab after each of its newlines: one leading tab per continuation line
 * is the server's, not the statement's, and is removed.
 */
import type { LogEntry } from './log-entry.js';
import { intOrNull, known, nonZero, splitRemote } from './log-entry.js';
import type { PrefixSet } from './log-line-prefix.js';
import { parseEpochSeconds, parseLogTimestamp } from './log-time.js';

/** `00000: ` before the message in verbose mode. A real SQLSTATE has a digit (so `AUDIT: ` is not one). */
const VERBOSE_SQLSTATE = /^(?=[A-Z]*\d)([0-9A-Z]{5}): /;

/** Parse a framed entry; null when its first line does not start with the prefix and a severity. */
export function parseStderrEntry(text: string, prefixes: PrefixSet): LogEntry | null {
  const nl = text.indexOf('\n');
  const first = nl === -1 ? text : text.slice(0, nl);
  const m = prefixes.match(first);
  if (!m) return null;
  let message = m.message;
  let verboseState: string | null = null;
  const s = VERBOSE_SQLSTATE.exec(message);
  if (s) {
    verboseState = s[1]!;
    message = message.slice(s[0].length);
  }
  if (nl !== -1) {
    const rest = text
      .slice(nl + 1)
      .split('\n')
      .map((l) => (l.startsWith('\t') ? l.slice(1) : l));
    message = [message, ...rest].join('\n');
  }
  const v = m.values;
  const rawTime = known(v.timeMs) ?? known(v.time);
  const occurredAt =
    (v.epoch !== undefined ? parseEpochSeconds(v.epoch) : null) ?? (rawTime !== null ? parseLogTimestamp(rawTime) : null);
  const remote = v.remote !== undefined ? splitRemote(v.remote, 'paren') : { host: known(v.host), port: null };
  return {
    destination: 'stderr',
    severity: m.severity,
    message,
    sqlState: known(v.sqlState) ?? verboseState,
    rawTime: rawTime ?? known(v.epoch),
    occurredAt,
    user: known(v.user),
    database: known(v.database),
    pid: known(v.pid),
    remoteHost: remote.host ?? known(v.host),
    remotePort: remote.port,
    application: known(v.application),
    sessionId: known(v.sessionId),
    sessionLine: intOrNull(v.sessionLine),
    sessionStart: known(v.sessionStart),
    vxid: known(v.vxid),
    txid: nonZero(v.txid),
    commandTag: known(v.commandTag),
    backendType: known(v.backendType),
    leaderPid: known(v.leaderPid),
    queryId: nonZero(v.queryId),
    ...(m.unusual && m.unusual.length > 0 ? { unusualPrefixFields: m.unusual } : {}),
  };
}
