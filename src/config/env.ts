/**
 * Process configuration from the environment, parsed once, validated, frozen. A bad value fails fast and
 * names the variable (docs/contributing.md "Configuration and lifecycle"). docs/configuration.md lists every key.
 */
import { AuditqlError, ErrorCode } from '../errors.js';

export interface EnvConfig {
  /** The warehouse; absent → the embedded default under `.auditql/`. */
  readonly databaseUrl: string | null;
  readonly port: number;
  /** Interface the API binds to. */
  readonly host: string;
  readonly dataDir: string;
  readonly introspection: boolean;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Drop partitions older than this many days (AUDITQL_RETENTION_DAYS); null keeps everything. */
  readonly retentionDays: number | null;
  /** TimescaleDB path: compress chunks older than this many days (AUDITQL_COMPRESS_AFTER_DAYS); null: never. */
  readonly compressAfterDays: number | null;
  /** `auditql start` runs the demo shop source + workload (default: only on the embedded default). */
  readonly demo: boolean;
  /**
   * `auditql start` ingests these sources: `auditql ingest` argument lists separated by `;`, e.g.
   * `--from postgres --source-url postgres://… --publication app --slot auditql --create-slot`.
   */
  readonly ingest: readonly (readonly string[])[];
  /**
   * `auditql start` runs these forwarders (AUDITQL_FORWARD): `auditql forward` argument lists separated by
   * `;`, e.g. `--name splunk --to splunk-hec --url https://splunk:8088/services/collector/event --token-file /run/secrets/hec`.
   */
  readonly forward: readonly (readonly string[])[];
  /**
   * How long ingest waits out an outage of the warehouse or a source before giving up, in seconds
   * (AUDITQL_OUTAGE_LIMIT_S; `forever` → Infinity); null → the command's default (src/retry-policy.ts).
   */
  readonly outageLimitS: number | null;
  /** `auditql ingest` and `auditql forward` serve /metrics, /healthz and /readyz on HOST at this port (AUDITQL_METRICS_PORT); null: not at all. */
  readonly metricsPort: number | null;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `${name}=${JSON.stringify(raw)}: expected an integer from ${min} to ${max}`);
  }
  return n;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new AuditqlError(ErrorCode.BAD_CONFIG, `${name}=${JSON.stringify(raw)}: expected true or false`);
}

function outageLimit(env: NodeJS.ProcessEnv): number | null {
  const raw = env.AUDITQL_OUTAGE_LIMIT_S;
  if (raw === undefined || raw === '') return null;
  if (/^(forever|inf|infinity)$/i.test(raw)) return Number.POSITIVE_INFINITY;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `AUDITQL_OUTAGE_LIMIT_S=${JSON.stringify(raw)}: expected a number of seconds (0 or more) or "forever"`);
  }
  return n;
}

/** `ARGS; ARGS; …`: argument lists split on whitespace (AUDITQL_INGEST, AUDITQL_FORWARD). */
const argLists = (raw: string | undefined): string[][] =>
  (raw ?? '').split(';').map((spec) => spec.trim().split(/\s+/).filter(Boolean)).filter((args) => args.length > 0);

export function loadEnv(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  const databaseUrl = env.DATABASE_URL ? env.DATABASE_URL : null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, 'DATABASE_URL: expected a postgres:// or postgresql:// URL');
  }
  const logLevel = (env.AUDITQL_LOG_LEVEL ?? 'info') as EnvConfig['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `AUDITQL_LOG_LEVEL=${JSON.stringify(logLevel)}: expected debug, info, warn or error`);
  }
  return Object.freeze({
    databaseUrl,
    port: int(env, 'PORT', 4000, 0, 65535),
    host: env.HOST || '127.0.0.1',
    dataDir: env.AUDITQL_DATA_DIR || '.auditql',
    introspection: bool(env, 'AUDITQL_INTROSPECTION', true),
    logLevel,
    retentionDays: env.AUDITQL_RETENTION_DAYS ? int(env, 'AUDITQL_RETENTION_DAYS', 0, 1, 100_000) : null,
    compressAfterDays: env.AUDITQL_COMPRESS_AFTER_DAYS ? int(env, 'AUDITQL_COMPRESS_AFTER_DAYS', 0, 1, 100_000) : null,
    demo: bool(env, 'AUDITQL_DEMO', databaseUrl === null),
    ingest: argLists(env.AUDITQL_INGEST),
    forward: argLists(env.AUDITQL_FORWARD),
    outageLimitS: outageLimit(env),
    metricsPort: env.AUDITQL_METRICS_PORT ? int(env, 'AUDITQL_METRICS_PORT', 0, 0, 65535) : null,
  });
}
