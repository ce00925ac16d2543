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
 * Two passes. The strict pass expects each value in the form the server writes it (`%r` is `host(port)`,
 * a bare host or `[local]`; `%p` digits; `%c` hex.hex …). When it fails, a lenient pass takes any text
 * for `%r`, `%h` and unknown escapes (a newer server may print something for them), any non-blank word for
 * the numeric and id escapes, and a looser timestamp; a value that then is not in its usual form is listed
 * in `unusual`, and numeric or id values in that case are dropped (unknown) rather than stored as if real.
 * Timestamps and the literal text between escapes stay anchors in both passes, so a prefix with `:`
 * separators cannot shift its fields.
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
  /** Present on a lenient match only: the fields whose values were not in their usual form. */
  readonly unusual?: readonly PrefixField[];
}

export interface CompiledPrefix {
  /** The log_line_prefix as configured. */
  readonly source: string;
  /** The strict pass, then the lenient one. */
  match(line: string): PrefixMatch | null;
  matchStrict(line: string): PrefixMatch | null;
  matchLenient(line: string): PrefixMatch | null;
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

/** How a field is matched: its usual form, its lenient form, and whether an unusual value is kept. */
interface EscapeSpec {
  readonly field: PrefixField;
  readonly strict: string;
  readonly lenient: string;
  /** Free text (names, hosts) is kept whatever it holds; numbers and ids not in their form are dropped. */
  readonly keepUnusual: boolean;
}

const WORD = '(\\S*?)';
const LENIENT_ZONE = '(?: (?:[A-Za-z][A-Za-z0-9_/+-]*|[+-]\\d{1,2}(?::?\\d{2})?))?';
const LENIENT_TIME = `(${DATE_TIME}(?:\\.\\d{1,6})?${LENIENT_ZONE})`;

const text = (field: PrefixField): EscapeSpec => ({ field, strict: TEXT, lenient: TEXT, keepUnusual: true });
const word = (field: PrefixField, strict: string): EscapeSpec => ({ field, strict, lenient: WORD, keepUnusual: false });
const time = (field: PrefixField, strict: string): EscapeSpec => ({ field, strict, lenient: LENIENT_TIME, keepUnusual: true });

const ESCAPES: Readonly<Record<string, EscapeSpec>> = {
  a: text('application'),
  u: text('user'),
  d: text('database'),
  // Hosts hold no spaces or parentheses; `host(port)` is matched whole so an IPv6 host's colons cannot be
  // mistaken for the `:` separators of a prefix such as RDS's `%t:%r:%u@%d:[%p]:`.
  r: { field: 'remote', strict: '(\\[local\\]|[^\\s()]+\\(\\d+\\)|[^\\s()]*)', lenient: TEXT, keepUnusual: true },
  h: { field: 'host', strict: '([^\\s]*)', lenient: TEXT, keepUnusual: true },
  b: text('backendType'),
  i: text('commandTag'),
  p: word('pid', '(\\d+)'),
  P: word('leaderPid', '(\\d*)'),
  t: time('time', `(${DATE_TIME}${ZONE})`),
  m: time('timeMs', `(${DATE_TIME}\\.\\d{3}${ZONE})`),
  n: word('epoch', '(\\d+\\.\\d{3})'),
  s: time('sessionStart', `(${DATE_TIME}${ZONE})`),
  c: word('sessionId', '([0-9a-f]+\\.[0-9a-f]+)'),
  l: word('sessionLine', '(\\d+)'),
  v: word('vxid', '((?:\\d+/\\d+)?)'),
  x: word('txid', '(\\d+)'),
  e: word('sqlState', '([0-9A-Z]{5})'),
  Q: word('queryId', '(-?\\d+)'),
};

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A configured prefix is often pasted with postgresql.conf's quotes: `'%m [%p] '`. */
export function unquotePrefix(prefix: string): string {
  return prefix.length >= 2 && prefix.startsWith("'") && prefix.endsWith("'") ? prefix.slice(1, -1) : prefix;
}

/** Each escape's usual form, anchored, to tell which values a lenient match found unusual. */
const USUAL: ReadonlyMap<PrefixField, RegExp> = new Map(Object.values(ESCAPES).map((e) => [e.field, new RegExp(`^${e.strict}$`)]));

interface Compiled {
  readonly strict: RegExp;
  readonly lenient: RegExp;
  readonly fields: readonly EscapeSpec[];
}

function compilePatterns(prefix: string): Compiled {
  let strict = '^';
  let lenient = '^';
  let optionalGroups = 0;
  const fields: EscapeSpec[] = [];
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix[i]!;
    if (c !== '%') {
      strict += escapeRegex(c);
      lenient += escapeRegex(c);
      continue;
    }
    let j = i + 1;
    const padStart = j;
    if (prefix[j] === '-') j++;
    while (j < prefix.length && prefix[j]! >= '0' && prefix[j]! <= '9') j++;
    const pad = (p: string) => (j > padStart ? ` *${p} *` : p);
    const esc = prefix[j];
    if (esc === undefined) break; // a trailing `%` prints nothing
    i = j;
    if (esc === '%') {
      strict += '%';
      lenient += '%';
    } else if (esc === 'q') {
      strict += '(?:';
      lenient += '(?:';
      optionalGroups++;
    } else {
      const spec = ESCAPES[esc];
      if (!spec) {
        lenient += '(?:.*?)'; // PostgreSQL ignores unknown escapes; a newer server may print something
        continue;
      }
      fields.push(spec);
      strict += pad(spec.strict);
      lenient += pad(spec.lenient);
    }
  }
  const close = ')?'.repeat(optionalGroups) + '$';
  return { strict: new RegExp(strict + close), lenient: new RegExp(lenient + close), fields };
}

function valuesOf(m: RegExpExecArray, fields: readonly EscapeSpec[], lenient: boolean): { values: PrefixValues; unusual: PrefixField[] } {
  const values: PrefixValues = {};
  const unusual: PrefixField[] = [];
  fields.forEach((spec, k) => {
    const raw = m[k + 1];
    if (raw === undefined || values[spec.field] !== undefined) return;
    const v = raw.trim();
    if (lenient && !USUAL.get(spec.field)!.test(v)) {
      unusual.push(spec.field);
      if (!spec.keepUnusual) return;
    }
    values[spec.field] = v;
  });
  return { values, unusual };
}

export function compileLogLinePrefix(configured: string): CompiledPrefix {
  const { strict, lenient, fields } = compilePatterns(unquotePrefix(configured));
  const matchWith = (line: string, regex: RegExp, isLenient: boolean): PrefixMatch | null => {
    const head = line.length > MAX_PREFIX_CHARS ? line.slice(0, MAX_PREFIX_CHARS) : line;
    for (const marker of head.matchAll(MARKER)) {
      const m = regex.exec(line.slice(0, marker.index));
      if (!m) continue;
      const { values, unusual } = valuesOf(m, fields, isLenient);
      const message = line.slice(marker.index + marker[0].length);
      return isLenient ? { values, severity: marker[1]!, message, unusual } : { values, severity: marker[1]!, message };
    }
    return null;
  };
  return Object.freeze({
    source: configured,
    match: (line: string): PrefixMatch | null => matchWith(line, strict, false) ?? matchWith(line, lenient, true),
    matchStrict: (line: string): PrefixMatch | null => matchWith(line, strict, false),
    matchLenient: (line: string): PrefixMatch | null => matchWith(line, lenient, true),
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
      // Every prefix strictly before any leniently, so a default prefix cannot claim another's line loosely.
      match(line: string) {
        for (const p of prefixes) {
          const m = p.matchStrict(line);
          if (m) return m;
        }
        for (const p of prefixes) {
          const m = p.matchLenient(line);
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
