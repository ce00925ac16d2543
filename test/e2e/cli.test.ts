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
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the warehouse/);
    expect(down.stderr).not.toMatch(/s3cret/);
    expect(down.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace for an expected failure
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
