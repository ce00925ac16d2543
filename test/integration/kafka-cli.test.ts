/** `auditql ingest --from kafka`, run as a user runs it: the built CLI (`node bin/auditql.js`). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../helpers/db.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/auditql.js`;

let db: Awaited<ReturnType<typeof createDatabase>>;
beforeAll(async () => {
  db = await createDatabase('kcli');
});
afterAll(async () => {
  await db?.drop();
});

async function auditql(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await promisify(execFile)(process.execPath, [BIN, ...args], {
      env: { ...process.env, DATABASE_URL: db.url, AUDITQL_KAFKA_BROKERS: '', ...env },
      cwd: ROOT,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('auditql ingest --from kafka (built CLI)', () => {
  it.each([
    [['--group', 'g', '--topic', 'maxwell=maxwell'], /--brokers HOST:PORT.* is required/],
    [['--brokers', 'kafka:9092', '--topic', 'maxwell=maxwell'], /--group ID is required/],
    [['--brokers', 'kafka:9092', '--group', 'g'], /at least one --topic PATTERN=FORMAT is required/],
    [['--brokers', 'kafka', '--group', 'g', '--topic', 'maxwell'], /--brokers: "kafka" is not HOST:PORT/],
    [['--brokers', 'kafka:9092', '--group', 'g', '--topic', 'dbserver1.*=debezium'], /not a Kafka topic name.*between slashes/],
    [['--brokers', 'kafka:9092', '--group', 'g', '--topic', '/(/=debezium'], /not a valid regular expression/],
    [['--brokers', 'kafka:9092', '--group', 'g', '--topic', 'maxwell=csv'], /unknown format "csv"/],
  ])('%j fails fast with exit 2, naming the flag', async (args, message) => {
    const r = await auditql(['ingest', '--from', 'kafka', ...args]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });

  it('names the bad environment variable', async () => {
    const r = await auditql(['ingest', '--from', 'kafka', '--brokers', 'kafka:9092', '--group', 'g', '--topic', 'maxwell=maxwell'], {
      AUDITQL_KAFKA_SASL_MECHANISM: 'scram-sha-256',
    });
    expect(r.stderr).toMatch(/AUDITQL_KAFKA_SASL_USERNAME: required with AUDITQL_KAFKA_SASL_MECHANISM/);
    expect(r.code).toBe(2);
  });

  it('reports an unreachable broker with its address and exits 1', async () => {
    const r = await auditql(['ingest', '--from', 'kafka', '--brokers', '127.0.0.1:1', '--group', 'g', '--topic', 'maxwell=maxwell']);
    expect(r.stderr).toMatch(/auditql: error: kafka \(127\.0\.0\.1:1\): .*(ECONNREFUSED|Connection)/);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.code).toBe(1);
  });
});
