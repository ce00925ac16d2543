/**
 * The built CLI, the way a user runs it: `auditql serve` refuses to start with no authentication configured;
 * `auditql keys create` prints a key once, and `serve` then answers only requests that carry it; it drains
 * and exits on SIGTERM; `keys list` shows its last use, `keys revoke` ends it; `AUDITQL_AUTH=none` serves
 * everyone with a warning at start and on /healthz.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../helpers/db.js';
import { postGraphql } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let db: Awaited<ReturnType<typeof createDatabase>>;
beforeAll(async () => { db = await createDatabase('serve'); });
afterAll(async () => { await db?.drop(); });

const baseEnv = () => {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', AUDITQL_LOG_LEVEL: 'info' };
  for (const k of Object.keys(env)) if (k.startsWith('AUDITQL_JWT') || k === 'AUDITQL_JWKS_URL' || k === 'AUDITQL_AUTH') delete env[k];
  return env;
};

function run(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawn(process.execPath, [`${ROOT}bin/auditql.js`, ...args], { cwd: ROOT, env: { ...baseEnv(), ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  return new Promise((resolve) => p.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Start `serve`, resolve with its URL once it prints it, run `body`, then SIGTERM it and check it drained. */
async function serving(extra: Record<string, string>, body: (url: string, stderr: () => string) => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, [`${ROOT}bin/auditql.js`, 'serve'], { cwd: ROOT, env: { ...baseEnv(), ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /GraphQL API at (http:\/\/\S+\/graphql)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    await body(url, () => stderr);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(stderr).toMatch(/shutting down: draining in-flight requests/);
}

describe('auditql serve (built)', () => {
  it('refuses to start with no authentication configured, in one sentence', async () => {
    expect(existsSync(`${ROOT}dist/src/cli/main.js`), 'run `npm run build` (npm test does)').toBe(true);
    const r = await run(['serve']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/auditql: error: no authentication is configured, so the API would serve the audit trail to anyone: set AUDITQL_JWKS_URL or AUDITQL_JWT_PUBLIC_KEY, create an API key \(auditql keys create --role admin --name NAME\), or set AUDITQL_AUTH=none to serve everyone anonymously \[AUDITQL_BAD_CONFIG\]/);
  });

  it('with a key created by `keys create --json`: refuses anonymous callers, serves the key, drains on SIGTERM', async () => {
    const created = await run(['keys', 'create', '--role', 'admin', '--name', 'ops', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: string };
    expect(key).toMatch(/^aqk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect((await run(['keys', 'create', '--role', 'admin', '--name', 'ops'])).stderr).toMatch(/a live key named "ops" exists/);
    expect((await run(['keys', 'create', '--role', 'boss', '--name', 'x'])).stderr).toMatch(/--role "boss": not a role of the policy/);

    await serving({}, async (url) => {
      const health = await fetch(url.replace(/\/graphql$/, '/healthz'));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', auth: 'required' });
      const anonymous = await postGraphql(url, '{ changes(first: 1) { edges { cursor } } }');
      expect(anonymous.status).toBe(401);
      expect(anonymous.errors?.[0]?.extensions).toMatchObject({ code: 'AUDITQL_UNAUTHENTICATED', reason: 'missing' });
      const r = await postGraphql<{ changes: { edges: unknown[] } }>(url, '{ changes(first: 1) { edges { cursor } } }', undefined, { authorization: `Bearer ${key}` });
      expect(r.data).toEqual({ changes: { edges: [] } });
    });

    const listed = await run(['keys', 'list', '--json']);
    const rows = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; role: string; lastUsedAt: string | null; revokedAt: string | null });
    expect(rows).toEqual([expect.objectContaining({ name: 'ops', role: 'admin', revokedAt: null, lastUsedAt: expect.any(String) })]);
    // The secret is base64url, so it may itself hold '_': it is everything after the key id.
    const secret = key.slice('aqk_'.length + 16 + 1);
    expect(secret).toHaveLength(43);
    expect(listed.stdout).not.toContain(secret);
    expect((await run(['keys', 'revoke', 'ops'])).code).toBe(0);
    expect((await run(['keys', 'revoke', 'ops'])).stderr).toMatch(/no live key named "ops"/);
    // No live key left: serve refuses again.
    expect((await run(['serve'])).code).toBe(2);
  });

  it('AUDITQL_AUTH=none: serves everyone, warning at start and on /healthz', async () => {
    await serving({ AUDITQL_AUTH: 'none' }, async (url, stderr) => {
      expect(stderr()).toMatch(/warn: authentication is off \(AUDITQL_AUTH=none\)/);
      expect(await (await fetch(url.replace(/\/graphql$/, '/healthz'))).json()).toMatchObject({ auth: 'none', warning: expect.stringMatching(/authentication is off/) });
      const r = await postGraphql<{ changes: { edges: unknown[] } }>(url, '{ changes(first: 1) { edges { cursor } } }');
      expect(r.data).toEqual({ changes: { edges: [] } });
    });
  });
});
