/**
 * The two renderings of a log record. JSON: one object per line, `time` (ISO 8601), `level`, `component`,
 * `msg`, then the bindings (`source`, `requestId` …) and the record's own fields. Text: what a person reads
 * on a terminal — `auditql: msg` (info) or `auditql warn: msg`, with the bindings after it in brackets.
 */
export type LogFormat = 'json' | 'text';

export interface LogRecord {
  readonly time: Date;
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly bindings: Readonly<Record<string, unknown>>;
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** bigint and Error values, which JSON.stringify would throw on or print as `{}`. */
const jsonValue = (_k: string, v: unknown): unknown =>
  typeof v === 'bigint' ? v.toString() : v instanceof Error ? { name: v.name, message: v.message } : v;

export function renderJson(r: LogRecord): string {
  const { component, ...bindings } = r.bindings;
  return JSON.stringify({ time: r.time.toISOString(), level: r.level, component, msg: r.msg, ...bindings, ...r.fields }, jsonValue);
}

const textValue = (v: unknown): string => (typeof v === 'string' && /^[\w.:@/+-]+$/.test(v) ? v : JSON.stringify(v, jsonValue));

export function renderText(r: LogRecord): string {
  const { component: _c, ...bindings } = r.bindings;
  const extra = Object.entries({ ...bindings, ...r.fields }).filter(([, v]) => v !== undefined);
  const tail = extra.length > 0 ? ` [${extra.map(([k, v]) => `${k}=${textValue(v)}`).join(' ')}]` : '';
  return `auditql${r.level === 'info' ? ':' : ` ${r.level}:`} ${r.msg}${tail}`;
}
