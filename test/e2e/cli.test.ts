/** The built CLI, run the way a user runs it: `node bin/auditql.js …` against a real warehouse. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../helpers/db.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/auditql.js`;
const FIXTURE = `${ROOT}test/fixtures/maxwell/dml-all-optional-fields.jsonl`;

let db: Awaited<ReturnType<typeof createDatabase>>;
beforeAll(async () => { db = await createDatabase('cli'); });
afterAll(async () => { await db?.drop(); });

async function auditql(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [BIN, ...args], { env: { ...process.env, DATABASE_URL: db.url, ...env }, cwd: ROOT });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('auditql CLI (built)', () => {
  it('is built', () => {
    expect(existsSync(`${ROOT}dist/src/cli/main.js`), 'run `npm run build` (npm test does)').toBe(true);
  });

  it('migrates, ingests a file with a one-line JSON summary, and stores nothing new the second time', async () => {
    expect((await auditql(['migrate'])).code).toBe(0);
    const first = await auditql(['ingest', '--from', 'file', '--format', 'maxwell', '--source', 'cli-test', '--json', FIXTURE]);
    expect(first.code).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const s1 = JSON.parse(lines[0]!);
    expect(s1).toMatchObject({ read: expect.any(Number), duplicates: 0, deadLettered: 0 });
    expect(s1.stored).toBeGreaterThan(0);
    const second = JSON.parse((await auditql(['ingest', '--from', 'file', '--format', 'maxwell', '--source', 'cli-test', '--json', FIXTURE])).stdout);
    expect(second).toMatchObject({ read: s1.read, stored: 0, duplicates: s1.stored });
  });

  it('detects the format with --format auto and says which it chose', async () => {
    const r = await auditql(['ingest', '--from', 'file', '--source', 'cli-auto', '--json', FIXTURE]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).formats).toEqual({ maxwell: expect.any(Number) });
  });

  it('fails clearly on a missing file, an unknown format and an unreachable warehouse', async () => {
    const missing = await auditql(['ingest', '--from', 'file', 'nope.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: no such file/);
    const format = await auditql(['ingest', '--from', 'file', '--format', 'avro', FIXTURE]);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/unknown --format "avro"/);
    const down = await auditql(['ingest', '--from', 'file', '--format', 'maxwell', FIXTURE], {
      DATABASE_URL: 'postgres://auditql:s3cret@127.0.0.1:1/none',
      AUDITQL_OUTAGE_LIMIT_S: '0',
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^auditql: error: cannot reach the warehouse at postgres:\/\/auditql:\*\*\*@127\.0\.0\.1:1\/none: .*ECONNREFUSED.* \[AUDITQL_WAREHOUSE_UNAVAILABLE\]\n$/);
    expect(down.stderr).not.toMatch(/s3cret/);
    expect(down.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace for an expected failure
  });

  it('waits out an unreachable warehouse for AUDITQL_OUTAGE_LIMIT_S, saying so once, then exits 1 in one sentence', async () => {
    const started = Date.now();
    const down = await auditql(['ingest', '--from', 'file', '--format', 'maxwell', FIXTURE], {
      DATABASE_URL: 'postgres://auditql:s3cret@127.0.0.1:1/none',
      AUDITQL_OUTAGE_LIMIT_S: '2',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(down.code).toBe(1);
    const lines = down.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^auditql warn: cannot reach the warehouse at .*; retrying with backoff for up to 2 s$/);
    expect(lines[1]).toMatch(/^auditql: error: cannot reach the warehouse at .*; gave up after 2 s \(AUDITQL_OUTAGE_LIMIT_S\) \[AUDITQL_WAREHOUSE_UNAVAILABLE\]$/);
    expect(down.stderr).not.toMatch(/s3cret/);
  });

  it('an unreachable --source-url is waited for, then reported in one sentence naming it (exit 1), never a stack trace', async () => {
    const r = await auditql(['ingest', '--from', 'postgres', '--source-url', 'postgres://rep:s3cret@127.0.0.1:1/app', '--publication', 'p', '--slot', 's'], {
      AUDITQL_OUTAGE_LIMIT_S: '1',
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^auditql warn: the source database at postgres:\/\/rep:\*\*\*@127\.0\.0\.1:1\/app is unreachable: .*ECONNREFUSED.*; retrying with backoff for up to 1 s$/);
    expect(lines.at(-1)).toMatch(/^auditql: error: the source database at postgres:\/\/rep:\*\*\*@127\.0\.0\.1:1\/app is unreachable: .*; gave up after 1 s \(AUDITQL_OUTAGE_LIMIT_S\) \[AUDITQL_SOURCE_UNAVAILABLE\]$/);
    expect(r.stderr).not.toMatch(/s3cret|unexpected error|at .*\.js:\d+/);
  });

  it('a source that refuses (a wrong password) is a configuration error in one sentence: exit 2 at once', async () => {
    const u = new URL(db.url);
    u.password = 'wrong-s3cret';
    const r = await auditql(['ingest', '--from', 'postgres', '--source-url', u.toString(), '--publication', 'p', '--slot', 's']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^auditql: error: cannot capture from the source database at postgres:\/\/.*:\*\*\*@.*: password authentication failed .*\[28P01\] \[AUDITQL_BAD_CONFIG\]$/);
    expect(r.stderr).not.toMatch(/wrong-s3cret|at .*\.js:\d+/);
  });

  it('prints the global page for --help, each command\'s own page for COMMAND --help, and refuses arguments a command would ignore', async () => {
    for (const [args, page] of [
      [['--help'], /^auditql — who changed what/],
      [['help'], /^auditql — who changed what/],
      [['serve', '--help'], /^auditql serve — /],
      [['ingest', '--from', 'kafka', '-h'], /^auditql ingest — [\s\S]*AUDITQL_KAFKA_SASL_MECHANISM/],
      [['help', 'install-source'], /^auditql install-source — [\s\S]*--uninstall/],
    ] as const) {
      const r = await auditql([...args]);
      expect([args, r.code]).toEqual([args, 0]);
      expect(r.stdout).toMatch(page);
    }
    const unknown = await auditql(['frobnicate', '--help']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    const extra = await auditql(['serve', '--port', '5000']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/auditql serve takes no arguments .*environment variables/);
  });
});
