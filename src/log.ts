/**
 * The logger (docs/operations.md "Logs"): leveled records to stderr (stdout is reserved for `--json`
 * summaries), injected, never global. Two renderings of the same record `{time, level, component, msg, …}`:
 * JSON lines for log pipelines, or human-readable text (src/log/format.ts). Secrets are scrubbed from every
 * record before it is written (src/log/redact.ts).
 */
import { renderJson, renderText, type LogFormat, type LogRecord } from './log/format.js';
import { redactor } from './log/redact.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type { LogFormat } from './log/format.js';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured fields of a record: bounded, never secrets, never row values. */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose records also carry these fields (`component`, `source`, `requestId` …). */
  child?(bindings: LogFields): Logger;
}

/** `log.child(bindings)`, for any Logger (one without `child` is returned as it is). */
export const childLogger = (log: Logger, bindings: LogFields): Logger => (log.child ? log.child(bindings) : log);

export interface StderrLoggerOptions {
  /** Default `text`: the CLI picks `json` when stderr is not a terminal (src/log/config.ts). */
  readonly format?: LogFormat;
  /** Values scrubbed from every record (passwords, access keys); see src/log/secrets.ts. */
  readonly secrets?: readonly string[];
  readonly bindings?: LogFields;
  readonly now?: () => Date;
}

export function stderrLogger(
  level: Level = 'info',
  write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  o: StderrLoggerOptions = {},
): Logger {
  const render = o.format === 'json' ? renderJson : renderText;
  const scrub = redactor(o.secrets ?? []);
  const now = o.now ?? (() => new Date());
  const make = (bindings: LogFields): Logger => {
    const at = (l: Level) => (msg: string, fields?: LogFields) => {
      if (RANK[l] < RANK[level]) return;
      const record: LogRecord = { time: now(), level: l, bindings, msg, fields: fields ?? {} };
      write(scrub(render(record)));
    };
    return {
      debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make({ component: 'auditql', ...o.bindings });
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLogger };
