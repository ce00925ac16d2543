/**
 * `--format auto` for text files: does the start of a file look like a PostgreSQL server log that the
 * pgAudit decoder reads? True when a line is an entry under the configured log_line_prefix (or one of the
 * default prefixes), a csvlog record, a jsonlog record, or carries an `AUDIT: SESSION|OBJECT,` message
 * after a severity whatever the prefix (so a wrong --log-line-prefix surfaces as dead letters, not as an
 * unknown format).
 */
import { parseJsonLossless } from '../../model/lossless-json.js';
import { CSVLOG_START } from './csvlog.js';
import { isJsonlogRecord } from './jsonlog.js';
import { LINE_LABELS, prefixSetFor, type PrefixSet } from './log-line-prefix.js';

const AUDIT_AFTER_SEVERITY = /(?:LOG|NOTICE|WARNING|INFO|DEBUG):  (?:[0-9A-Z]{5}: )?AUDIT: (?:SESSION|OBJECT),/;
const AUDIT_IN_CSV = /,"AUDIT: (?:SESSION|OBJECT),/;

export function looksLikePgauditLog(firstLines: readonly string[], logLinePrefix?: string): boolean {
  const prefixes = prefixSetFor(logLinePrefix);
  return firstLines.some((line) => {
    if (line.trimStart().startsWith('{')) {
      try {
        return isJsonlogRecord(parseJsonLossless(line));
      } catch {
        return false;
      }
    }
    if (CSVLOG_START.test(line)) return true;
    return prefixes.match(line) !== null || AUDIT_AFTER_SEVERITY.test(line) || AUDIT_IN_CSV.test(line);
  });
}

/**
 * `AUDIT:` anywhere in an entry that matched no layout: it may be audit data, so it is worth a dead letter,
 * never a silent skip (a damaged line, a wrong prefix, a truncated payload).
 */
export function mentionsAudit(text: string): boolean {
  return AUDIT_ANYWHERE.test(text);
}

const AUDIT_ANYWHERE = /\bAUDIT:/;
/** A severity marker as PostgreSQL writes it after any prefix, looked for in a line's first few KiB. */
const SEVERITY_MARKER = new RegExp(`\\b(?:${LINE_LABELS.join('|')}):  `);
const MARKER_SCAN_CHARS = 4096;

/**
 * Does this line look like a PostgreSQL log line, whatever its prefix? Not indented (PostgreSQL indents
 * continuation lines with a tab), and it matches the prefix, has a severity marker, or carries `AUDIT:`.
 */
export function looksLikeLogLine(line: string, prefixes: PrefixSet): boolean {
  if (line.startsWith('\t')) return false;
  if (prefixes.match(line) !== null) return true;
  const head = line.length > MARKER_SCAN_CHARS ? line.slice(0, MARKER_SCAN_CHARS) : line;
  return SEVERITY_MARKER.test(head) || AUDIT_ANYWHERE.test(head);
}

/**
 * A stderr line although the prefix does not match it: not tab-indented, and it carries
 * `SEVERITY:  AUDIT: SESSION|OBJECT,`. As the first recognizable line of a file it makes the framer read the
 * file as stderr, so a wrong prefix surfaces as dead letters rather than as lines passed on one by one.
 */
export function isUnmatchedAuditLine(line: string): boolean {
  return !line.startsWith('\t') && AUDIT_AFTER_SEVERITY.test(line);
}

/**
 * `--format auto` for one framed text record: is it a PostgreSQL log entry (under the prefix or a default
 * one, a csvlog record, a jsonlog object, a line with a severity marker), or does it carry `AUDIT:`? Text
 * that is none of these is of no format auto knows, a dead letter rather than a skip.
 */
export function recognizesLogEntry(text: string, logLinePrefix?: string): boolean {
  const nl = text.indexOf('\n');
  const first = nl === -1 ? text : text.slice(0, nl);
  return looksLikePgauditLog([first], logLinePrefix) || looksLikeLogLine(first, prefixSetFor(logLinePrefix)) || mentionsAudit(text);
}
