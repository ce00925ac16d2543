/** The built CLI, the way a user runs it: `auditql serve` answers GraphQL, then drains and exits on SIGTERM. */
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

describe('auditql serve (built)', () => {
  it('migrates, serves GraphQL and health on the port it prints, and exits 0 after draining on SIGTERM', async () => {
    expect(existsSync(`${ROOT}dist/src/cli/main.js`), 'run `npm run build` (npm test does)').toBe(true);
    const child = spawn(process.execPath, [`${ROOT}bin/auditql.js`, 'serve'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', AUDITQL_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
      const health = await fetch(url.replace(/\/graphql$/, '/healthz'));
      expect(health.status).toBe(200);
      const r = await postGraphql<{ changes: { edges: unknown[] } }>(url, '{ changes(first: 1) { edges { cursor } } }');
      expect(r.data).toEqual({ changes: { edges: [] } });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/shutting down: draining in-flight requests/);
  });
});
