/**
 * Kafka client settings from the environment, parsed once, validated, frozen; a bad value fails fast and
 * names the variable (docs/contributing.md "Configuration and lifecycle"). docs/sources/kafka.md lists every key.
 * TLS and SASL follow kafkajs's client options (kafkajs docs "Client Configuration": `ssl`, `sasl`).
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { AuditqlError, ErrorCode } from '../../errors.js';

export interface KafkaEnv {
  /** AUDITQL_KAFKA_BROKERS: used when `--brokers` is not given. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** false, true (TLS with the system CAs) or explicit TLS options. */
  readonly ssl: boolean | ConnectionOptions;
  readonly sasl: SASLOptions | undefined;
  /** Where a group with no committed offset starts: the earliest record (default) or only new ones. */
  readonly fromBeginning: boolean;
  /** kafkajs `partitionsConsumedConcurrently`. */
  readonly concurrency: number;
  /** Records queued between Kafka and the pipeline at most. */
  readonly queueRecords: number;
  /** How often the topic routes are matched again against the cluster's topics, in ms; 0 = never. */
  readonly topicRefreshMs: number;
}

const bad = (name: string, raw: string, expected: string) =>
  new AuditqlError(ErrorCode.BAD_CONFIG, `${name}=${JSON.stringify(raw)}: expected ${expected}`);

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw bad(name, raw, 'true or false');
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw bad(name, raw, `an integer from ${min} to ${max}`);
  return n;
}

function file(env: NodeJS.ProcessEnv, name: string): Buffer | undefined {
  const path = env[name];
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** `HOST:PORT,HOST:PORT`; names the flag or variable it came from in errors. */
export function parseBrokers(raw: readonly string[], from: string): string[] {
  const brokers = raw.flatMap((b) => b.split(',')).map((b) => b.trim()).filter(Boolean);
  for (const b of brokers) {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(b);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw new AuditqlError(ErrorCode.BAD_CONFIG, `${from}: ${JSON.stringify(b)} is not HOST:PORT`);
    }
  }
  return brokers;
}

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

export function loadKafkaEnv(env: NodeJS.ProcessEnv = process.env): KafkaEnv {
  const ca = file(env, 'AUDITQL_KAFKA_SSL_CA_FILE');
  const cert = file(env, 'AUDITQL_KAFKA_SSL_CERT_FILE');
  const key = file(env, 'AUDITQL_KAFKA_SSL_KEY_FILE');
  const rejectUnauthorized = bool(env, 'AUDITQL_KAFKA_SSL_REJECT_UNAUTHORIZED', true);
  const sslOn = bool(env, 'AUDITQL_KAFKA_SSL', Boolean(ca || cert || key));
  const ssl: boolean | ConnectionOptions =
    !sslOn ? false
    : ca || cert || key || !rejectUnauthorized ? Object.freeze({ ...(ca ? { ca: [ca] } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), rejectUnauthorized })
    : true;

  let sasl: SASLOptions | undefined;
  const mechanism = env.AUDITQL_KAFKA_SASL_MECHANISM?.toLowerCase();
  if (mechanism) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
      throw bad('AUDITQL_KAFKA_SASL_MECHANISM', env.AUDITQL_KAFKA_SASL_MECHANISM!, SASL_MECHANISMS.join(', '));
    }
    const username = env.AUDITQL_KAFKA_SASL_USERNAME;
    const password = env.AUDITQL_KAFKA_SASL_PASSWORD;
    if (!username) throw new AuditqlError(ErrorCode.BAD_CONFIG, 'AUDITQL_KAFKA_SASL_USERNAME: required with AUDITQL_KAFKA_SASL_MECHANISM');
    if (password === undefined) throw new AuditqlError(ErrorCode.BAD_CONFIG, 'AUDITQL_KAFKA_SASL_PASSWORD: required with AUDITQL_KAFKA_SASL_MECHANISM');
    sasl = Object.freeze({ mechanism: mechanism as (typeof SASL_MECHANISMS)[number], username, password });
  }

  const clientId = env.AUDITQL_KAFKA_CLIENT_ID || 'auditql';
  if (!/^[\w.-]{1,100}$/.test(clientId)) throw bad('AUDITQL_KAFKA_CLIENT_ID', clientId, "1-100 letters, digits, '.', '_' or '-'");

  return Object.freeze({
    brokers: Object.freeze(env.AUDITQL_KAFKA_BROKERS ? parseBrokers([env.AUDITQL_KAFKA_BROKERS], 'AUDITQL_KAFKA_BROKERS') : []),
    clientId,
    ssl,
    sasl,
    fromBeginning: bool(env, 'AUDITQL_KAFKA_FROM_BEGINNING', true),
    concurrency: int(env, 'AUDITQL_KAFKA_CONCURRENCY', 8, 1, 1000),
    queueRecords: int(env, 'AUDITQL_KAFKA_QUEUE_RECORDS', 10_000, 1, 1_000_000),
    topicRefreshMs: int(env, 'AUDITQL_KAFKA_TOPIC_REFRESH_MS', 60_000, 0, 86_400_000),
  });
}
