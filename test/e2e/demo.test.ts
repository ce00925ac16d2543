/**
 * The `npm start` demo as a newcomer meets it: the built CLI's `start` on a fresh embedded data directory.
 * Every example GraphiQL preloads (its tabs, variables and development key, read from the page itself) is
 * run against the live demo, and every one returns data: history with the database user (the db-context
 * trigger), who changed a field, bob's activity — his writes and a failed login, read from the server's own
 * csvlog as it grows — the entity as of a time inside the demo's history, a transaction that exists, and
 * recent deletes. carol's DDL is in the activity stream too.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'auditql-demo-'));
chmodSync(dir, 0o755);

interface Tab { query: string; variables: string; headers?: string }

let child: ReturnType<typeof spawn> | undefined;
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

const dataOf = (v: unknown): number => {
  // how many values a GraphQL `data` holds outside page info: an empty connection or a null answer counts 0
  if (v === null || v === undefined || typeof v === 'boolean') return 0;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + dataOf(x), 0);
  if (typeof v === 'object') {
    return Object.entries(v as object).reduce((n: number, [k, x]) => n + (k === 'pageInfo' ? 0 : dataOf(x)), 0);
  }
  return 1;
};

describe('npm start (the demo)', () => {
  it('answers every preloaded example with real data within a minute', async () => {
    const env = { ...process.env, AUDITQL_DATA_DIR: join(dir, '.auditql'), PORT: '0', HOST: '127.0.0.1', AUDITQL_LOG_FORMAT: 'text' };
    for (const k of ['DATABASE_URL', 'AUDITQL_AUTH', 'AUDITQL_INGEST']) delete env[k];
    child = spawn(process.execPath, [`${ROOT}bin/auditql.js`, 'start'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child!.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /GraphQL API and GraphiQL: (http:\/\/\S+\/graphql)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child!.once('exit', (code) => reject(new Error(`start exited (${code}): ${stderr}`)));
    });

    const page = async (): Promise<Tab[]> => {
      const html = await (await fetch(url, { headers: { accept: 'text/html' } })).text();
      return (JSON.parse(/<script type="application\/json" id="auditql-config">([^<]*)<\/script>/.exec(html)![1]!) as { tabs: Tab[] }).tabs;
    };
    const run = async (t: Tab) => {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(JSON.parse(t.headers ?? '{}') as Record<string, string>) },
        body: JSON.stringify({ query: t.query, variables: JSON.parse(t.variables || '{}') }),
      });
      return (await r.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    };
    const name = (t: Tab) => /(?:query|subscription)\s+(\w+)/.exec(t.query)?.[1] ?? '?';

    // Each example, until it answers (the workload runs every second; deletes come after a few). Bob's
    // activity counts once it holds both a write and a failed login.
    const expected = ['EntityHistory', 'WhoChanged', 'ActivityByUser', 'EntityAt', 'Transaction', 'RecentDeletes'];
    const classesOf = (data: unknown) =>
      new Set(((data as { activityByUser?: { edges: { node: { class: string } }[] } } | undefined)?.activityByUser?.edges ?? []).map((e) => e.node.class));
    const complete = (n: string, data: unknown) => n !== 'ActivityByUser' || (classesOf(data).has('WRITE') && classesOf(data).has('AUTH_FAILURE'));
    const deadline = Date.now() + 60_000;
    let missing = expected;
    let last: Record<string, unknown> = {};
    while (missing.length > 0) {
      if (Date.now() > deadline) throw new Error(`examples without data after 60 s: ${missing.join(', ')}; last answers ${JSON.stringify(last).slice(0, 2000)}`);
      const tabs = await page();
      expect(tabs.every((t) => JSON.parse(t.headers ?? '{}').Authorization?.startsWith('Bearer '))).toBe(true);
      const answered: string[] = [];
      for (const t of tabs) {
        const r = await run(t);
        expect(r.errors, `${name(t)}: ${JSON.stringify(r.errors)}`).toBeUndefined();
        last[name(t)] = r.data;
        if (dataOf(r.data) > 0 && complete(name(t), r.data)) answered.push(name(t));
      }
      missing = expected.filter((n) => !answered.includes(n));
      if (missing.length > 0) await new Promise((r) => setTimeout(r, 1000)); // the demo's workload ticks once a second
    }
    // Every demo change names its database user (the db-context trigger on the demo source).
    const history = last.EntityHistory as { entityHistory: { edges: { node: { actor: { dbUser: string | null } | null } }[] } };
    expect(history.entityHistory.edges.length).toBeGreaterThan(0);
    for (const e of history.entityHistory.edges) expect(e.node.actor?.dbUser).toMatch(/\w/);
    // Bob's activity is his own: his pricing updates as he sent them, and his refused login.
    const bob = (last.ActivityByUser as { activityByUser: { edges: { node: Record<string, unknown> }[] } }).activityByUser.edges.map((e) => e.node);
    expect(bob.find((a) => a.class === 'WRITE')).toMatchObject({ command: 'UPDATE', clientApplication: 'nightly-pricing', remoteHost: '127.0.0.1' });
    expect(bob.find((a) => a.class === 'WRITE')!.commandText).toMatch(/^UPDATE products SET price/);
    // (a refused client has not told its application name yet: the server logs none)
    expect(bob.find((a) => a.class === 'AUTH_FAILURE')).toMatchObject({ errorMessage: 'password authentication failed for user "bob"', remoteHost: '127.0.0.1' });
    // carol's DDL is in the stream as well (the same page's key, another user). It arrives through the
    // server log, which may trail the replication stream that brought her deletes: wait for it.
    const tab = (await page())[0]!;
    const ddlDeadline = Date.now() + 30_000;
    let ddl: string[] = [];
    for (;;) {
      const carol = await run({
        ...tab,
        query: 'query { activityByUser(user: "carol", classes: ["DDL"], first: 5) { edges { node { class command objectName } } } }',
        variables: '{}',
      });
      expect(carol.errors).toBeUndefined();
      ddl = (carol.data as { activityByUser: { edges: { node: { command: string } }[] } }).activityByUser.edges.map((e) => e.node.command);
      if (ddl.length > 0) break;
      if (Date.now() > ddlDeadline) throw new Error("carol's DDL did not arrive within 30 s of the other examples");
      await new Promise((r) => setTimeout(r, 1000)); // the demo's workload ticks once a second
    }
    expect(ddl.every((c) => c === 'CREATE TABLE' || c === 'DROP TABLE')).toBe(true);
  }, 120_000);
});
