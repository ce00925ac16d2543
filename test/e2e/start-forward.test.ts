/**
 * Forwarders inside `auditql start` (AUDITQL_FORWARD; docs/siem.md "Inside auditql start"), the built CLI
 * as a user runs it, against real HTTP receivers started here: one delivers everything written while the
 * process runs; another whose destination answers 503 keeps retrying without holding up the API or the
 * first; both show their lag in `Query.forwarders` and on /metrics; SIGTERM stops both and the process
 * exits 0. A bad AUDITQL_FORWARD refuses to start, naming it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabase } from '../helpers/db.js';
import { until } from '../helpers/until.js';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { migrate } from '../../src/warehouse/migrate.js';
import { mkActivity, mkChange, store } from '../graphql/seed.js';
import { postGraphql } from '../graphql/helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let db: Awaited<ReturnType<typeof createDatabase>>;
let w: WarehouseDb;
let hook: Server;
let dead: Server;
const received: Record<string, unknown>[] = [];
let deadRequests = 0;
const children: ChildProcess[] = [];

const listen = (s: Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));

beforeAll(async () => {
  db = await createDatabase('startfwd');
  w = openWarehouse(db.url);
  await migrate(w.pool);
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => void (body += c.toString()));
    req.on('end', () => {
      for (const l of body.split('\n').filter(Boolean)) received.push(JSON.parse(l) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  dead = createServer((req, res) => {
    deadRequests++;
    req.resume();
    req.on('end', () => res.writeHead(503).end('down for maintenance'));
  });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.all([hook, dead].map((s) => new Promise((r) => s.close(r))));
  await w?.close();
  await db?.drop();
});

function start(forward: string): { child: ChildProcess; url: Promise<string>; exited: Promise<number | null>; stderr: () => string } {
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', AUDITQL_AUTH: 'none', AUDITQL_DEMO: 'false',
    AUDITQL_LOG_LEVEL: 'info', AUDITQL_FORWARD: forward,
  };
  delete env.AUDITQL_INGEST;
  const child = spawn(process.execPath, [`${ROOT}bin/auditql.js`, 'start'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /GraphQL API and GraphiQL: (http:\/\/\S+\/graphql)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`start exited: ${stderr}`)));
  });
  return { child, url, exited, stderr: () => stderr };
}

it('runs the configured forwarders beside the API: one delivers, one retries a dead destination, SIGTERM stops both', async () => {
  const [hookPort, deadPort] = await Promise.all([listen(hook), listen(dead)]);
  await store(w, [mkChange({ table: 'orders', key: { id: 1 }, before: null, after: { id: 1, email: 'x@example.com' }, operation: 'INSERT' })]);
  const s = start(
    `--name hook --to http --url http://127.0.0.1:${hookPort}/in --format json --flush-ms 50; ` +
    `--name dead --to http --url http://127.0.0.1:${deadPort}/in --flush-ms 50 --role auditor`,
  );
  const url = await s.url;
  await until('the event written before start', () => received.length === 1, 30_000);
  // live: written while the process runs
  await store(w, [mkActivity({ commandText: "select 'a'" }), mkChange({ table: 'orders', key: { id: 2 }, before: null, after: { id: 2 }, operation: 'INSERT' })]);
  await until('the live events', () => received.length === 3, 30_000);
  expect(received.map((e) => e.kind)).toEqual(['change', 'activity', 'change']);
  expect((received[0]!.after as Record<string, unknown>).email).toEqual({ $masked: 'redact' }); // role siem by default

  // the dead destination is retried, and neither the API nor the other forwarder waits on it
  await until('the dead destination retried', () => deadRequests >= 2, 30_000);
  const r = await postGraphql<{ changes: { nodes: { table: string }[] } }>(url, '{ changes(first: 10) { nodes { table } } }');
  expect(r.data?.changes.nodes).toHaveLength(2);
  const { rows } = await w.pool.query<{ name: string; acked_events: string; last_error_code: string | null; role: string }>(
    'select name, acked_events::text, last_error_code, role from auditql.forwarders order by name');
  expect(rows).toEqual([
    { name: 'dead', acked_events: '0', last_error_code: 'HTTP_503', role: 'auditor' },
    { name: 'hook', acked_events: '3', last_error_code: null, role: 'siem' },
  ]);

  // lag: Query.forwarders and the process's /metrics
  const f = await postGraphql<{ forwarders: Record<string, unknown>[] }>(url,
    '{ forwarders { name destination format role cursor ackedEvents lagEvents lagSeconds lastAckedAt lastErrorCode } }');
  expect(f.errors).toBeUndefined();
  const [deadRow, hookRow] = f.data!.forwarders;
  expect(hookRow).toMatchObject({ name: 'hook', destination: 'http', format: 'json', role: 'siem', ackedEvents: 3, lagEvents: 0, lagSeconds: 0, lastErrorCode: null });
  expect(typeof hookRow!.lastAckedAt).toBe('string');
  expect(deadRow).toMatchObject({ name: 'dead', cursor: '0', ackedEvents: 0, lagEvents: 3, lastErrorCode: 'HTTP_503', lastAckedAt: null });
  expect(deadRow!.lagSeconds as number).toBeGreaterThan(0);
  const metrics = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
  expect(metrics).toMatch(/^auditql_forwarder_lag_events\{forwarder="dead"\} 3$/m);
  expect(metrics).toMatch(/^auditql_forwarder_lag_events\{forwarder="hook"\} 0$/m);
  expect(metrics).toMatch(/^auditql_forwarder_lag_seconds\{forwarder="dead"\} [1-9.]/m);
  expect(metrics).toMatch(/^auditql_forwarder_events_sent_total\{forwarder="hook"\} 3$/m);
  expect(metrics).toMatch(/^auditql_forwarder_destination_errors_total\{forwarder="dead",code="HTTP_503"\} [1-9]/m);
  expect(metrics).toMatch(/^auditql_forwarder_retries_total\{forwarder="dead"\} [1-9]/m);

  s.child.kill('SIGTERM');
  expect(await s.exited).toBe(0);
  expect(s.stderr()).toMatch(/forwarding as "hook": --to http, json, role siem/);
});

it('refuses to start on a bad AUDITQL_FORWARD, naming it', async () => {
  const s = start('--name x --to http --url http://127.0.0.1:1/ --role nobody');
  await expect(s.url).rejects.toThrow(/AUDITQL_FORWARD: auditql forward --name x: --role "nobody" is not a role of the policy/);
  expect(await s.exited).toBe(2);
});
