/**
 * Outages are waited out (README "Outages"): the warehouse — and for a live capture, the source database —
 * crashes and restarts (`pg_ctl restart -m immediate`) in the middle of an ingest; the ingest logs it,
 * backs off, resumes from its checkpoint, and every event is stored exactly once. The servers restarted are
 * the test's own (test/helpers/restartable-pg.ts), never the shared one.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDebeziumWorkload } from '../../bench/debezium-workload.js';
import { ensureDatabase } from '../../src/warehouse/connect.js';
import { probeUntil } from '../helpers/until.js';
import { createDatabase } from '../helpers/db.js';
import { CHANGES_PER_TX, expectExactlyOnce, ITEMS_SCHEMA, workload } from '../helpers/capture-workload.js';
import { restartablePg, type RestartablePg } from '../helpers/restartable-pg.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/auditql.js`;
const RECORDS = 50_000;

/** One query on a connection of its own; null while the server is down (the probe runs through restarts). */
async function queryOnce<T>(url: string, sql: string, params: unknown[] = []): Promise<T | null> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  try {
    await c.connect();
    return (await c.query(sql, params)).rows[0] as T;
  } catch {
    return null;
  } finally {
    await c.end().catch(() => {});
  }
}

const storedCount = (url: string, source: string) => async () =>
  (await queryOnce<{ n: number }>(url, 'select count(*)::int as n from auditql.changes where source = $1', [source]))?.n ?? -1;

function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, AUDITQL_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += String(d); });
  child.stderr.on('data', (d) => { stderr += String(d); });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, exited, running: () => child.exitCode === null && child.signalCode === null, stderr: () => stderr };
}

describe('outages', () => {
  let warehouse: RestartablePg;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    expect(existsSync(`${ROOT}dist/src/cli/main.js`), 'run `npm run build` (npm test does)').toBe(true);
    warehouse = await restartablePg();
    await ensureDatabase(warehouse.url('postgres'), 'outage');
    dir = mkdtempSync(join(tmpdir(), 'auditql-outage-'));
    file = join(dir, 'debezium.jsonl');
    await writeDebeziumWorkload(file, RECORDS);
  }, 120_000);
  afterAll(async () => {
    await warehouse?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a file ingest outlives two crashes of the warehouse: exit 0, every record stored exactly once', async () => {
    const url = warehouse.url('outage');
    const ingest = runCli(['ingest', '--from', 'file', '--format', 'debezium', '--source', 'file-outage', '--batch-size', '1000', '--json', file], {
      DATABASE_URL: url,
    });
    try {
      for (const threshold of [3000, 15_000]) {
        await probeUntil(`${threshold} rows committed`, storedCount(url, 'file-outage'), (n) => n >= threshold || !ingest.running(), 120_000);
        expect(ingest.running(), `the ingest ended before the restart at ${threshold}: ${ingest.stderr()}`).toBe(true);
        await warehouse.restart();
      }
      const end = await ingest.exited;
      expect(end.code, end.stderr).toBe(0);
      expect(end.stderr).not.toMatch(/unexpected error|Unhandled|at .*\.js:\d+/);
      // one line when each outage begins, one when it ends
      expect(end.stderr.match(/the warehouse is unreachable: .*; retrying with backoff for up to 300 s(?: \[[^\]\n]*\])?\n/g)?.length).toBeGreaterThanOrEqual(2);
      expect(end.stderr.match(/the warehouse is reachable again after \d+ s; resuming(?: \[[^\]\n]*\])?\n/g)?.length).toBeGreaterThanOrEqual(2);
      expect(JSON.parse(end.stdout)).toMatchObject({ read: RECORDS, deadLettered: 0, skipped: 0 });
      const r = await queryOnce<{ n: number; positions: number }>(url,
        `select count(*)::int as n, count(distinct position)::int as positions from auditql.changes where source = 'file-outage'`);
      expect(r).toEqual({ n: RECORDS, positions: RECORDS });
    } finally {
      if (ingest.running()) ingest.child.kill('SIGKILL');
    }
  }, 300_000);

  /** `ingest --from postgres` from `sourceUrl` into the restartable warehouse, until SIGTERM. */
  const capture = (sourceUrl: string, slot: string, source: string) =>
    runCli(['ingest', '--from', 'postgres', '--source-url', sourceUrl, '--publication', 'items_pub', '--slot', slot, '--create-slot',
      '--source', source, '--batch-size', '25'], { DATABASE_URL: warehouse.url('outage') });

  const slotActive = (pool: pg.Pool, slot: string) => probeUntil(`slot ${slot} active`, async () =>
    (await pool.query(`select active from pg_replication_slots where slot_name = $1`, [slot])).rows[0]?.active as boolean | undefined,
  (a) => a === true, 60_000);

  /** Stop the capture with SIGTERM: a clean stop, exit 0; then every change stored exactly once. */
  async function stopAndCheck(run: ReturnType<typeof runCli>, source: string, ids: number): Promise<string> {
    run.child.kill('SIGTERM');
    const end = await run.exited;
    expect(end.code, end.stderr).toBe(0);
    expect(end.stderr).not.toMatch(/unexpected error|Unhandled|at .*\.js:\d+/);
    const w = new pg.Pool({ connectionString: warehouse.url('outage') });
    try {
      await expectExactlyOnce(w, source, ids);
    } finally {
      await w.end();
    }
    return end.stderr;
  }

  it('a live capture outlives two crashes of the warehouse: every change stored exactly once, SIGTERM exits 0', async () => {
    const src = await createDatabase('src_outage_wh');
    const pool = new pg.Pool({ connectionString: src.url, max: 2 });
    const run = capture(src.url, 'outage_wh_slot', 'live-wh');
    try {
      await pool.query(ITEMS_SCHEMA);
      await slotActive(pool, 'outage_wh_slot');
      const writing = workload(pool, 0, 600);
      for (const threshold of [100, 500]) {
        await probeUntil(`${threshold} changes stored`, storedCount(warehouse.url('outage'), 'live-wh'), (n) => n >= threshold, 120_000);
        await warehouse.restart();
      }
      await writing;
      await probeUntil('every change', storedCount(warehouse.url('outage'), 'live-wh'), (n) => n >= 600 * CHANGES_PER_TX, 120_000);
      const stderr = await stopAndCheck(run, 'live-wh', 600);
      expect(stderr.match(/the warehouse is unreachable: .*; retrying with backoff until it is back(?: \[[^\]\n]*\])?\n/g)?.length).toBeGreaterThanOrEqual(2);
    } finally {
      if (run.running()) run.child.kill('SIGKILL');
      await pool.end();
      await src.drop();
    }
  }, 300_000);

  it('a live capture outlives a crash of the source database: it reconnects, resumes from its checkpoint, stores every change once', async () => {
    const source = await restartablePg();
    await ensureDatabase(source.url('postgres'), 'src');
    const url = source.url('src');
    let pool = new pg.Pool({ connectionString: url, max: 2 });
    const run = capture(url, 'outage_src_slot', 'live-src');
    try {
      await pool.query(ITEMS_SCHEMA);
      await slotActive(pool, 'outage_src_slot');
      await workload(pool, 0, 300);
      await probeUntil('100 changes stored', storedCount(warehouse.url('outage'), 'live-src'), (n) => n >= 100, 120_000);
      await pool.end();
      await source.restart();
      pool = new pg.Pool({ connectionString: url, max: 2 });
      await workload(pool, 300, 600);
      await probeUntil('every change', storedCount(warehouse.url('outage'), 'live-src'), (n) => n >= 600 * CHANGES_PER_TX, 120_000);
      const stderr = await stopAndCheck(run, 'live-src', 600);
      expect(stderr).toMatch(/source connection lost \(.*\); reconnecting in \d+ ms, resuming from LSN /);
      expect(stderr).toMatch(/source connection re-established; streaming from LSN /);
    } finally {
      if (run.running()) run.child.kill('SIGKILL');
      await pool.end().catch(() => {});
      await source.stop();
    }
  }, 300_000);
});
