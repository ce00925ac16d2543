/**
 * `auditql ingest --from file --follow --server-log` as it ships: the built CLI follows a PostgreSQL csvlog
 * that does not exist yet, stores the activity of what is written to it in two parts (a real PG 15 capture,
 * test/fixtures/pgaudit-server-log/), and on SIGTERM stops, exit 0, with its summary. Progress is awaited
 * on the sink's feed notification, never on a timer.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEED_CHANNEL } from '../../src/warehouse/sink.js';
import { createDatabase } from '../helpers/db.js';
import { FIXTURES } from '../helpers/fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/auditql.js`;

let db: Awaited<ReturnType<typeof createDatabase>>;
let dir: string;
beforeAll(async () => {
  db = await createDatabase('follow');
  dir = mkdtempSync(join(tmpdir(), 'auditql-follow-cli-'));
});
afterAll(async () => {
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ingest --from file --follow', () => {
  it('stores what is appended to a followed server log, and stops cleanly on SIGTERM', async () => {
    const log = join(dir, 'postgresql.csv');
    const lines = readFileSync(`${FIXTURES}pgaudit-server-log/captured-pg15-csvlog.csv`, 'utf8').split(/(?<=\n)(?=\d{4}-)/);
    const half = lines.findIndex((l) => l.includes('connection authorized: user=bob'));
    expect(half).toBeGreaterThan(0);

    const child = spawn(process.execPath, [BIN, 'ingest', '--from', 'file', '--follow', '--format', 'pgaudit', '--server-log', '--source', 'pg-log', '--json', log], {
      env: { ...process.env, DATABASE_URL: db.url }, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    const count = async () => Number((await listener.query(`SELECT count(*) AS n FROM auditql.activity WHERE source = 'pg-log'`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n);
    /** Resolves once `n` activity rows are stored: checked now and at every batch the sink announces. */
    const stored = (n: number) => new Promise<void>((resolve, reject) => {
      const check = async () => {
        if ((await count()) >= n) {
          listener.removeListener('notification', check);
          resolve();
        }
      };
      listener.on('notification', () => void check());
      void exited.then((code) => reject(new Error(`ingest exited (${code}): ${stderr}`)));
      void check();
    });
    try {
      await listener.query(`LISTEN ${FEED_CHANNEL}`);
      // the file appears only now; its first part holds 8 events (two sessions of postgres)
      appendFileSync(log, lines.slice(0, half).join(''));
      await stored(8);
      appendFileSync(log, lines.slice(half).join(''));
      await stored(20);
      expect(await count()).toBe(20);
      const failed = await listener.query(`SELECT db_user, class FROM auditql.activity WHERE source = 'pg-log' AND class = 'AUTH_FAILURE' ORDER BY db_user`);
      expect(failed.rows).toEqual([{ db_user: 'bob', class: 'AUTH_FAILURE' }, { db_user: 'mallory', class: 'AUTH_FAILURE' }]);
    } finally {
      await listener.end();
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(JSON.parse(stdout.trim())).toMatchObject({ read: 43, stored: 20, deadLettered: 0, skipped: 23 });
  }, 60_000);
});
