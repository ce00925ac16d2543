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
import { prefixSetFor } from './log-line-prefix.js';

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

/** The AUDIT marker anywhere in an entry that matched no layout: worth a dead letter, not a silent skip. */
export function mentionsAudit(text: string): boolean {
  return AUDIT_AFTER_SEVERITY.test(text) || AUDIT_IN_CSV.test(text);
}

/**
 * A stderr line that is not a continuation line although the prefix does not match it: PostgreSQL indents
 * continuation lines with a tab, and this one carries `SEVERITY:  AUDIT: SESSION|OBJECT,`. The framer
 * starts an entry there, so the decoder dead-letters it instead of it vanishing inside the entry before.
 */
export function isUnmatchedAuditLine(line: string): boolean {
  return !line.startsWith('\t') && AUDIT_AFTER_SEVERITY.test(line);
}
