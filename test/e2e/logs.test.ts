/**
 * What ships, logging as it would in a container: the built CLI with stderr not a terminal logs JSON lines
 * (`{time, level, component, msg, …}`), and a full run — an ingest with bad records, the API serving the
 * rows and taking a Firehose delivery with a wrong and a right key, a failed start with a wrong password —
 * never writes this test's secrets or row values anywhere in its logs.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl, createDatabase } from '../helpers/db.js';
import { maxwellRow } from '../helpers/array-source.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/auditql.js`;

const tag = randomUUID().slice(0, 8);
const PASSWORD = `Db-Pass-${tag}-q7`;
const ACCESS_KEY = `Firehose-Key-${tag}-z3`;
const ROW_VALUE = `Row-Value-${tag}-k9`;
const BAD_VALUE = `Bad-Value-${tag}-m2`;
const SECRETS = [PASSWORD, ACCESS_KEY, ROW_VALUE, BAD_VALUE];
const ROLE = `logs_${tag.replace(/-/g, '')}`;

let db: Awaited<ReturnType<typeof createDatabase>>;
let dir: string;
let url: string;
const logs: string[] = [];

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  db = await createDatabase('logs');
  await admin(`CREATE ROLE ${ROLE} LOGIN SUPERUSER PASSWORD '${PASSWORD}'`);
  const u = new URL(db.url);
  u.username = ROLE;
  u.password = PASSWORD;
  url = u.toString();
  dir = mkdtempSync(join(tmpdir(), 'auditql-logs-'));
});
afterAll(async () => {
  await db?.drop();
  await admin(`DROP ROLE IF EXISTS ${ROLE}`);
  rmSync(dir, { recursive: true, force: true });
});

/** The environment of a process whose stderr is a pipe and whose log format is left to the default. */
const env = (more: Record<string, string>) => ({ ...process.env, AUDITQL_LOG_FORMAT: '', AUDITQL_LOG_LEVEL: 'debug', ...more });

async function auditql(args: string[], more: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { env: env(more), cwd: ROOT });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Every line is one JSON record with the common fields. */
function records(stderr: string): Record<string, unknown>[] {
  const lines = stderr.split('\n').filter((l) => l !== '');
  logs.push(...lines);
  return lines.map((line) => {
    const r = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(r).slice(0, 4), line).toEqual(['time', 'level', 'component', 'msg']);
    expect(new Date(r.time as string).toISOString()).toBe(r.time);
    expect(['debug', 'info', 'warn', 'error']).toContain(r.level);
    return r;
  });
}

describe('logs', () => {
  it('are JSON lines off a terminal', async () => {
    const file = join(dir, 'rows.jsonl');
    writeFileSync(file, [
      maxwellRow(1, ROW_VALUE), maxwellRow(2, `${ROW_VALUE}\u0000`), `{"broken": "${BAD_VALUE}"}`, `["not", "maxwell", "${BAD_VALUE}"]`, maxwellRow(3, 'plain'),
    ].join('\n') + '\n');
    const r = await auditql(['ingest', '--from', 'file', '--format', 'maxwell', '--source', 'shop', '--json', file], {
      DATABASE_URL: url, AUDITQL_METRICS_PORT: '0', HOST: '127.0.0.1',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 5, stored: 2, deadLettered: 3 });
    const recs = records(r.stderr);
    expect(recs.some((x) => /^metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/.test(x.msg as string))).toBe(true);
    const dead = recs.find((x) => /dead_letters/.test(x.msg as string));
    expect(dead).toMatchObject({ level: 'warn', component: 'auditql' });
  });

  it('of the API server are JSON lines too, and a failure is one JSON error record', async () => {
    const child = spawn(process.execPath, [BIN, 'serve'], {
      cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'],
      env: env({ AUDITQL_AUTH: 'none', DATABASE_URL: url, PORT: '0', HOST: '127.0.0.1', AUDITQL_FIREHOSE_ACCESS_KEY: ACCESS_KEY, AUDITQL_FIREHOSE_FORMAT: 'das' }),
    });
    const lines: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const base = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stderr! }).on('line', (line) => {
        lines.push(line);
        const m = /GraphQL API at (http:\/\/\S+)\/graphql/.exec(line);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${lines.join('\n')}`)));
    });
    const q = await fetch(`${base}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ changes(first: 5) { edges { node { after } } } }' }),
    });
    expect(await q.text()).toContain(ROW_VALUE); // served to the client, never logged
    const requestId = randomUUID();
    const delivery = (key: string) => fetch(`${base}/ingest/firehose/firehose`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Amz-Firehose-Request-Id': requestId, 'X-Amz-Firehose-Access-Key': key, 'X-Amz-Firehose-Protocol-Version': '1.0' },
      body: JSON.stringify({ requestId, timestamp: Date.now(), records: [{ data: Buffer.from(`{"secret": "${BAD_VALUE}"}`).toString('base64') }] }),
    });
    expect((await delivery(`${ACCESS_KEY}-wrong`)).status).toBe(401);
    expect((await delivery(ACCESS_KEY)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^auditql_api_request_duration_seconds_count\{operation="anonymous",type="query",outcome="ok"\} 1$/m);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const recs = records(lines.join('\n'));
    expect(recs.find((x) => /GraphQL API at/.test(x.msg as string))).toMatchObject({ level: 'info' });

    const wrong = new URL(url);
    wrong.password = `${PASSWORD}-wrong`;
    const failed = await auditql(['migrate'], { DATABASE_URL: wrong.toString() });
    expect(failed.code).toBe(1);
    const [fatal] = records(failed.stderr).filter((x) => x.level === 'error');
    expect(fatal).toMatchObject({ code: 'AUDITQL_WAREHOUSE_UNAVAILABLE' });
    expect(fatal!.msg).toMatch(/cannot reach the warehouse/);
  });

  it('never hold the secrets or row values of the runs above', () => {
    expect(logs.length).toBeGreaterThan(5);
    const all = logs.join('\n');
    for (const s of SECRETS) expect(all, s).not.toContain(s);
    for (const s of SECRETS) expect(all).not.toContain(encodeURIComponent(s));
  });
});
