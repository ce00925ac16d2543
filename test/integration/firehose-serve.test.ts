/**
 * What ships: the built `auditql serve`, configured through the environment as docs/sources/firehose.md says,
 * receiving a Firehose delivery over real HTTP and storing it once in a real warehouse. Readiness is the log
 * line naming the endpoint, never a sleep.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../helpers/db.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/auditql.js`;
const KEY = 'cli-firehose-key-9d2f41';
const SOURCE = 'das-docs';

let db: Awaited<ReturnType<typeof createDatabase>>;
let child: ChildProcess | undefined;
const stderr: string[] = [];

beforeAll(async () => { db = await createDatabase('fhserve'); });
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await db?.drop();
});

/** Start `auditql serve`; resolves with the endpoint's base URL once the log names it. */
function serve(env: Record<string, string>): Promise<string> {
  child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env: { ...process.env, AUDITQL_AUTH: 'none', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child!.stderr! });
    lines.on('line', (line) => {
      stderr.push(line);
      const m = /Firehose HTTP endpoint: POST (http:\/\/\S+)\/ingest\/firehose\//.exec(line);
      if (m) resolve(m[1]!);
    });
    child!.once('exit', (code) => reject(new Error(`auditql serve exited (${code}):\n${stderr.join('\n')}`)));
  });
}

function run(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const p = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env: { ...process.env, AUDITQL_AUTH: 'none', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (c: Buffer) => { err += c.toString('utf8'); });
  return new Promise((resolve) => p.once('exit', (code) => resolve({ code, stderr: err })));
}

describe('auditql serve (built) with a Firehose source', () => {
  it('receives a delivery twice and stores each event once', async () => {
    const base = await serve({
      DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1',
      AUDITQL_FIREHOSE_SOURCES: JSON.stringify({ [SOURCE]: { accessKeyEnv: 'FH_TEST_KEY', format: 'das' } }),
      FH_TEST_KEY: KEY,
    });
    expect(stderr.join('\n')).toMatch(/dasResourceId is not set/); // the doc-form records below need none
    const records = readFileSync(`${ROOT}test/fixtures/das/aurora-pg-1.1-session.jsonl`, 'utf8').split('\n').filter((l) => l.trim());
    const requestId = randomUUID();
    const body = JSON.stringify({ requestId, timestamp: Date.now(), records: records.map((r) => ({ data: Buffer.from(r).toString('base64') })) });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/ingest/firehose/${SOURCE}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Amz-Firehose-Request-Id': requestId, 'X-Amz-Firehose-Access-Key': KEY, 'X-Amz-Firehose-Protocol-Version': '1.0' },
        body,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({ requestId, timestamp: expect.any(Number) });
    }
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const n = await c.query(`select count(*)::int as n, count(distinct position)::int as d from auditql.activity where source = $1`, [SOURCE]);
      expect(n.rows[0]).toEqual({ n: 10, d: 10 });
    } finally {
      await c.end();
    }
  });

  it('refuses a bad Firehose configuration before touching the warehouse, naming the variable', async () => {
    const r = await run({ DATABASE_URL: 'postgres://auditql@127.0.0.1:1/none', AUDITQL_FIREHOSE_SOURCES: '{"das-prod": {"accessKeyEnv": "NOT_SET_ANYWHERE_123"}}' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/AUDITQL_FIREHOSE_SOURCES: source "das-prod" accessKeyEnv: the variable NOT_SET_ANYWHERE_123 is not set/);
    expect(r.stderr).not.toMatch(/cannot reach the warehouse/);
  });
});
