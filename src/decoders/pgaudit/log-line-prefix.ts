/**
 * Compile a PostgreSQL `log_line_prefix` into a parser for stderr log lines.
 *
 * Escapes (PG `runtime-config-logging.html`, `postgresql.conf.sample`; docs/formats/pgaudit.md "log_line_prefix escapes"): %a application name,
 * %u user, %d database, %r remote host and port (`host(port)` or `[local]`), %h remote host, %b backend
 * type, %p PID, %P parallel leader PID, %t timestamp, %m timestamp with ms, %n epoch seconds with ms,
 * %Q query id, %i command tag, %e SQLSTATE, %c session id, %l session line, %s session start, %v virtual
 * transaction id, %x transaction id, %q "stop here in non-session processes" (everything after it is
 * optional), %% a literal `%`. Unknown escapes print nothing in PostgreSQL, so they match nothing here.
 * Padding (`%-10u`, `%8p`) is accepted and trimmed.
 *
 * A stderr entry's first line is `<prefix><SEVERITY>:  <message>`. Values such as user names may contain
 * anything, so the prefix is matched against the text before each `SEVERITY:  ` marker in turn (nearest
 * first), which also bounds the regex work to the first few KiB of a line.
 */

export type PrefixField =
  | 'application'
  | 'user'
  | 'database'
  | 'remote'
  | 'host'
  | 'backendType'
  | 'pid'
  | 'leaderPid'
  | 'time'
  | 'timeMs'
  | 'epoch'
  | 'queryId'
  | 'commandTag'
  | 'sqlState'
  | 'sessionId'
  | 'sessionLine'
  | 'sessionStart'
  | 'vxid'
  | 'txid';

export type PrefixValues = Partial<Record<PrefixField, string>>;

export interface PrefixMatch {
  readonly values: PrefixValues;
  /** `LOG`, `NOTICE`, …, or a secondary line's label (`DETAIL`, `STATEMENT`, …). */
  readonly severity: string;
  /** The rest of the line after `SEVERITY:  `. */
  readonly message: string;
}

export interface CompiledPrefix {
  /** The log_line_prefix as configured. */
  readonly source: string;
  match(line: string): PrefixMatch | null;
}

/**
 * Labels PostgreSQL writes after the prefix (elog.c `error_severity` and the secondary lines of a message).
 * DEBUG1..5 are all written as `DEBUG`.
 */
export const LINE_LABELS = [
  'DEBUG', 'LOG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'FATAL', 'PANIC',
  'DETAIL', 'HINT', 'QUERY', 'CONTEXT', 'LOCATION', 'STATEMENT', 'BACKTRACE',
] as const;

const MARKER = new RegExp(`(${LINE_LABELS.join('|')}):  `, 'g');
/** No sane prefix is longer; beyond this a line is a continuation line, whatever it holds. */
const MAX_PREFIX_CHARS = 4096;

const TEXT = '(.*?)';
const ZONE = '(?: (?:[A-Za-z]+|[+-]\\d{1,2}(?::?\\d{2})?))?';
const DATE_TIME = '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}';

const ESCAPES: Readonly<Record<string, readonly [PrefixField, string]>> = {
  a: ['application', TEXT],
  u: ['user', TEXT],
  d: ['database', TEXT],
  // Hosts hold no spaces or parentheses; `host(port)` is matched whole so an IPv6 host's colons cannot be
  // mistaken for the `:` separators of a prefix such as RDS's `%t:%r:%u@%d:[%p]:`.
  r: ['remote', '(\\[local\\]|[^\\s()]+\\(\\d+\\)|[^\\s()]*)'],
  h: ['host', '([^\\s]*)'],
  b: ['backendType', TEXT],
  i: ['commandTag', TEXT],
  p: ['pid', '(\\d+)'],
  P: ['leaderPid', '(\\d*)'],
  t: ['time', `(${DATE_TIME}${ZONE})`],
  m: ['timeMs', `(${DATE_TIME}\\.\\d{3}${ZONE})`],
  n: ['epoch', '(\\d+\\.\\d{3})'],
  s: ['sessionStart', `(${DATE_TIME}${ZONE})`],
  c: ['sessionId', '([0-9a-f]+\\.[0-9a-f]+)'],
  l: ['sessionLine', '(\\d+)'],
  v: ['vxid', '((?:\\d+/\\d+)?)'],
  x: ['txid', '(\\d+)'],
  e: ['sqlState', '([0-9A-Z]{5})'],
  Q: ['queryId', '(-?\\d+)'],
};

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A configured prefix is often pasted with postgresql.conf's quotes: `'%m [%p] '`. */
export function unquotePrefix(prefix: string): string {
  return prefix.length >= 2 && prefix.startsWith("'") && prefix.endsWith("'") ? prefix.slice(1, -1) : prefix;
}

export function compileLogLinePrefix(configured: string): CompiledPrefix {
  const prefix = unquotePrefix(configured);
  let pattern = '^';
  let optionalGroups = 0;
  const fields: PrefixField[] = [];
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix[i]!;
    if (c !== '%') {
      pattern += escapeRegex(c);
      continue;
    }
    let j = i + 1;
    const padStart = j;
    if (prefix[j] === '-') j++;
    while (j < prefix.length && prefix[j]! >= '0' && prefix[j]! <= '9') j++;
    const padded = j > padStart;
    const esc = prefix[j];
    if (esc === undefined) break; // a trailing `%` prints nothing
    i = j;
    if (esc === '%') pattern += '%';
    else if (esc === 'q') {
      pattern += '(?:';
      optionalGroups++;
    } else {
      const spec = ESCAPES[esc];
      if (!spec) continue; // PostgreSQL ignores unknown escapes
      fields.push(spec[0]);
      pattern += padded ? ` *${spec[1]} *` : spec[1];
    }
  }
  pattern += ')?'.repeat(optionalGroups) + '$';
  const regex = new RegExp(pattern);

  return Object.freeze({
    source: configured,
    match(line: string): PrefixMatch | null {
      const head = line.length > MAX_PREFIX_CHARS ? line.slice(0, MAX_PREFIX_CHARS) : line;
      for (const marker of head.matchAll(MARKER)) {
        const m = regex.exec(line.slice(0, marker.index));
        if (!m) continue;
        const values: PrefixValues = {};
        fields.forEach((field, k) => {
          const v = m[k + 1];
          if (v !== undefined && values[field] === undefined) values[field] = v.trim();
        });
        return { values, severity: marker[1]!, message: line.slice(marker.index + marker[0].length) };
      }
      return null;
    },
  });
}

/**
 * Prefixes tried when none is configured, in this order: the pgAudit README's suggestion, the Amazon RDS
 * default, PostgreSQL's own default since 10, and the empty prefix (PostgreSQL before 10).
 */
export const DEFAULT_LOG_LINE_PREFIXES = ['%m %u %d [%p]: ', '%t:%r:%u@%d:[%p]:', '%m [%p] ', ''] as const;

export interface PrefixSet {
  readonly prefixes: readonly CompiledPrefix[];
  match(line: string): PrefixMatch | null;
}

const cache = new Map<string, PrefixSet>();

/** The configured prefix alone, or the defaults when none is configured. Compiled once per prefix. */
export function prefixSetFor(logLinePrefix: string | undefined): PrefixSet {
  const key = logLinePrefix ?? '\u0000defaults';
  let set = cache.get(key);
  if (!set) {
    const prefixes = (logLinePrefix === undefined ? DEFAULT_LOG_LINE_PREFIXES : [logLinePrefix]).map(compileLogLinePrefix);
    set = Object.freeze({
      prefixes,
      match(line: string) {
        for (const p of prefixes) {
          const m = p.match(line);
          if (m) return m;
        }
        return null;
      },
    });
    if (cache.size > 64) cache.clear();
    cache.set(key, set);
  }
  return set;
}
