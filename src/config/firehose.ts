/**
 * The Firehose HTTP endpoint's configuration (docs/sources/firehose.md), from the environment, parsed once,
 * validated, frozen; a bad value fails fast and names the variable, the source and the field. Secrets never
 * appear in errors, and they stay out of the JSON: a source names the variable that holds its access key.
 *
 * - `AUDITQL_FIREHOSE_SOURCES`: JSON, one entry per source, e.g.
 *   `{"das-prod": {"accessKeyEnv": "FIREHOSE_KEY_DAS_PROD", "format": "das", "dasResourceId": "cluster-ABC"}}`;
 * - or, for a single source, `AUDITQL_FIREHOSE_ACCESS_KEY` (+ `AUDITQL_FIREHOSE_SOURCE`, default `firehose`;
 *   `AUDITQL_FIREHOSE_FORMAT`, default `das`; `AUDITQL_FIREHOSE_DAS_RESOURCE_ID`);
 * - `AUDITQL_FIREHOSE_MAX_BODY_BYTES` (default 64 MiB), `AUDITQL_FIREHOSE_CONCURRENCY` (default 4).
 * Neither → no source: the endpoint is disabled.
 */
import { AuditqlError, ErrorCode } from '../errors.js';
import type { DecodeContext } from '../decoders/decoder.js';
import { decodeContext, DEFAULT_CONTEXT_PREFIX } from '../decoders/context.js';
import { FORMATS, isFormatChoice, type FormatChoice } from '../decoders/registry.js';
import { parseKeyColumns } from '../model/row-key.js';

export interface FirehoseSourceConfig {
  /** `POST /ingest/firehose/<name>`; also the warehouse `source`. */
  readonly name: string;
  /** A secret: never log it. */
  readonly accessKey: string;
  readonly format: FormatChoice;
  /** keyColumns, contextPrefix, dasResourceId, logLinePrefix, maxwellKey — no key provider yet (the CLI adds it). */
  readonly ctx: DecodeContext;
}

export interface FirehoseConfig {
  /** Empty: the endpoint is disabled. */
  readonly sources: readonly FirehoseSourceConfig[];
  readonly maxBodyBytes: number;
  readonly concurrency: number;
  /** Valid but probably unintended settings, for the operator's log. */
  readonly warnings: readonly string[];
}

export const FIREHOSE_ENV = {
  SOURCES: 'AUDITQL_FIREHOSE_SOURCES',
  ACCESS_KEY: 'AUDITQL_FIREHOSE_ACCESS_KEY',
  SOURCE: 'AUDITQL_FIREHOSE_SOURCE',
  FORMAT: 'AUDITQL_FIREHOSE_FORMAT',
  DAS_RESOURCE_ID: 'AUDITQL_FIREHOSE_DAS_RESOURCE_ID',
  MAX_BODY_BYTES: 'AUDITQL_FIREHOSE_MAX_BODY_BYTES',
  CONCURRENCY: 'AUDITQL_FIREHOSE_CONCURRENCY',
} as const;

export const DEFAULT_FIREHOSE_SOURCE = 'firehose';
export const DEFAULT_FIREHOSE_FORMAT: FormatChoice = 'das';
const MIB = 1024 * 1024;
const MAX_ACCESS_KEY_BYTES = 4096;
/** URL-path safe (`/ingest/firehose/<name>`), otherwise what `ingest --source` accepts. */
const SOURCE_NAME = /^[\w.:@-]{1,200}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A DbClusterResourceId (`cluster-…`) or DbiResourceId (`db-…`). */
const RESOURCE_ID = /^(?:cluster|db)-[A-Za-z0-9]+$/;

const FIELDS = ['accessKeyEnv', 'format', 'dasResourceId', 'keys', 'contextPrefix', 'logLinePrefix', 'maxwellKeyEnv'] as const;
type SourceFields = { [K in (typeof FIELDS)[number]]?: unknown };

const bad = (message: string) => new AuditqlError(ErrorCode.BAD_CONFIG, message);

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw bad(`${name}=${JSON.stringify(raw)}: expected an integer from ${min} to ${max}`);
  return n;
}

/** A secret from the variable `varName`; `where` names the setting that pointed there. */
function secret(env: NodeJS.ProcessEnv, varName: string, where: string): string {
  const value = env[varName];
  if (value === undefined || value === '') throw bad(`${where}: the variable ${varName} is not set or empty`);
  if (Buffer.byteLength(value, 'utf8') > MAX_ACCESS_KEY_BYTES) throw bad(`${where}: the value of ${varName} is longer than ${MAX_ACCESS_KEY_BYTES} bytes`);
  return value;
}

interface SourceInput {
  readonly name: string;
  readonly accessKey: string;
  readonly format?: unknown;
  readonly dasResourceId?: unknown;
  readonly keys?: unknown;
  readonly contextPrefix?: unknown;
  readonly logLinePrefix?: unknown;
  readonly maxwellKey?: string;
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw bad(`${where}: expected a non-empty string`);
  return value;
}

function buildSource(s: SourceInput, where: (field: string) => string, warnings: string[]): FirehoseSourceConfig {
  if (!SOURCE_NAME.test(s.name)) throw bad(`${where('name')}: a source name is 1-200 letters, digits and _.:@-`);
  const format = optionalString(s.format, where('format')) ?? DEFAULT_FIREHOSE_FORMAT;
  if (!isFormatChoice(format)) {
    throw new AuditqlError(ErrorCode.UNKNOWN_FORMAT, `${where('format')}: unknown format ${JSON.stringify(format)}; expected one of ${[...FORMATS, 'auto'].join(', ')}`);
  }
  const dasResourceId = optionalString(s.dasResourceId, where('dasResourceId'));
  if (dasResourceId !== undefined && !RESOURCE_ID.test(dasResourceId)) {
    throw bad(`${where('dasResourceId')}: expected a DbClusterResourceId (cluster-…) or DbiResourceId (db-…)`);
  }
  if (format === 'das' && dasResourceId === undefined) {
    warnings.push(
      `${where('dasResourceId')} is not set: encrypted DAS records will be dead-lettered (AUDITQL_DECRYPTION_KEY_MISSING) ` +
        'until it is; records a transforming Lambda already decrypted need none',
    );
  }
  if (s.keys !== undefined && (!Array.isArray(s.keys) || !s.keys.every((k) => typeof k === 'string'))) {
    throw bad(`${where('keys')}: expected an array of "DB_OR_SCHEMA.TABLE=COL[,COL]" strings`);
  }
  let keyColumns;
  try {
    keyColumns = parseKeyColumns((s.keys as string[] | undefined) ?? []);
  } catch (err) {
    throw bad(`${where('keys')}: ${(err as Error).message.replace(/^--key /, '')}`);
  }
  const contextPrefix = optionalString(s.contextPrefix, where('contextPrefix')) ?? DEFAULT_CONTEXT_PREFIX;
  const logLinePrefix = optionalString(s.logLinePrefix, where('logLinePrefix'));
  const ctx = decodeContext({
    keyColumns,
    contextPrefix,
    ...(dasResourceId !== undefined ? { dasResourceId } : {}),
    ...(logLinePrefix !== undefined ? { logLinePrefix } : {}),
    ...(s.maxwellKey !== undefined ? { maxwellKey: s.maxwellKey } : {}),
  });
  return Object.freeze({ name: s.name, accessKey: s.accessKey, format, ctx });
}

function fromJson(env: NodeJS.ProcessEnv, raw: string, warnings: string[]): FirehoseSourceConfig[] {
  const V = FIREHOSE_ENV.SOURCES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw bad(`${V}: not valid JSON (expected {"<source>": {"accessKeyEnv": "<VARIABLE>", "format": "das", …}})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad(`${V}: expected a JSON object of sources`);
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) throw bad(`${V}: no source configured (unset it to disable the endpoint)`);
  return entries.map(([name, value]) => {
    const where = (field: string) => `${V}: source ${JSON.stringify(name)}${field === 'name' ? '' : ` ${field}`}`;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`${where('name')}: expected an object`);
    const o = value as SourceFields & Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !(FIELDS as readonly string[]).includes(k));
    if (unknown.length > 0) {
      const hint = unknown.includes('accessKey') ? ' (name the variable holding the key in accessKeyEnv instead)' : '';
      throw bad(`${where('name')}: unknown field(s) ${unknown.join(', ')}; expected ${FIELDS.join(', ')}${hint}`);
    }
    const envName = (field: 'accessKeyEnv' | 'maxwellKeyEnv'): string | undefined => {
      const v = optionalString(o[field], where(field));
      if (v !== undefined && !ENV_NAME.test(v)) throw bad(`${where(field)}: expected an environment variable name`);
      return v;
    };
    const accessKeyEnv = envName('accessKeyEnv');
    if (accessKeyEnv === undefined) throw bad(`${where('accessKeyEnv')}: required (the variable holding the access key)`);
    const maxwellKeyEnv = envName('maxwellKeyEnv');
    return buildSource(
      {
        name,
        accessKey: secret(env, accessKeyEnv, where('accessKeyEnv')),
        format: o.format,
        dasResourceId: o.dasResourceId,
        keys: o.keys,
        contextPrefix: o.contextPrefix,
        logLinePrefix: o.logLinePrefix,
        ...(maxwellKeyEnv !== undefined ? { maxwellKey: secret(env, maxwellKeyEnv, where('maxwellKeyEnv')) } : {}),
      },
      where,
      warnings,
    );
  });
}

function fromSingle(env: NodeJS.ProcessEnv, warnings: string[]): FirehoseSourceConfig[] {
  const E = FIREHOSE_ENV;
  const set = (name: string) => env[name] !== undefined && env[name] !== '';
  if (!set(E.ACCESS_KEY)) {
    const stray = [E.SOURCE, E.FORMAT, E.DAS_RESOURCE_ID].filter(set);
    if (stray.length > 0) throw bad(`${stray.join(', ')} set without ${E.ACCESS_KEY}: the Firehose endpoint needs an access key`);
    return [];
  }
  const names: Record<string, string> = { name: E.SOURCE, format: E.FORMAT, dasResourceId: E.DAS_RESOURCE_ID };
  return [
    buildSource(
      {
        name: env[E.SOURCE] || DEFAULT_FIREHOSE_SOURCE,
        accessKey: secret(env, E.ACCESS_KEY, E.ACCESS_KEY),
        format: env[E.FORMAT] || undefined,
        dasResourceId: env[E.DAS_RESOURCE_ID] || undefined,
      },
      (field) => names[field] ?? E.SOURCE,
      warnings,
    ),
  ];
}

export function loadFirehoseConfig(env: NodeJS.ProcessEnv = process.env): FirehoseConfig {
  const warnings: string[] = [];
  const json = env[FIREHOSE_ENV.SOURCES];
  let sources: FirehoseSourceConfig[];
  if (json !== undefined && json.trim() !== '') {
    const single = [FIREHOSE_ENV.ACCESS_KEY, FIREHOSE_ENV.SOURCE, FIREHOSE_ENV.FORMAT, FIREHOSE_ENV.DAS_RESOURCE_ID].filter((n) => env[n]);
    if (single.length > 0) throw bad(`${FIREHOSE_ENV.SOURCES} and ${single.join(', ')} are both set: configure the sources one way`);
    sources = fromJson(env, json, warnings);
  } else {
    sources = fromSingle(env, warnings);
  }
  return Object.freeze({
    sources: Object.freeze(sources),
    maxBodyBytes: int(env, FIREHOSE_ENV.MAX_BODY_BYTES, 64 * MIB, 1024, 64 * MIB),
    concurrency: int(env, FIREHOSE_ENV.CONCURRENCY, 4, 1, 64),
    warnings: Object.freeze(warnings),
  });
}
