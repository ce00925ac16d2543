/**
 * `success` as stored and read back, through what ships: the built CLI ingests a pgAudit csvlog file and a
 * DAS SQL Server fixture into a real warehouse, then the API's own activity query (the `success` filter of
 * `activity(filter:)`) reads them. SQLSTATE 00000 and SQL Server's exitCode 1 mean "no error".
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { pageActivity } from '../../src/warehouse/queries/activity-page.js';
import { createDatabase } from '../helpers/db.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/auditql.js`;

let db: Awaited<ReturnType<typeof createDatabase>>;
let w: WarehouseDb;
let dir: string;
beforeAll(async () => {
  db = await createDatabase('success');
  w = openWarehouse(db.url);
  dir = mkdtempSync(join(tmpdir(), 'auditql-success-'));
});
afterAll(async () => {
  await w?.close();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function ingest(args: string[]): Promise<Record<string, unknown>> {
  const r = await run(process.execPath, [BIN, 'ingest', '--from', 'file', '--json', ...args], { env: { ...process.env, DATABASE_URL: db.url }, cwd: ROOT });
  return JSON.parse(r.stdout.trim()) as Record<string, unknown>;
}

/** A PostgreSQL 14+ csvlog record (26 columns) as the server writes it. */
const csvlog = (n: number, severity: string, state: string, message: string) =>
  `2026-10-07 12:00:0${n}.000 UTC,"ops","app",500,"10.0.0.9:40000",6a6fe000.1f4,${n},"SELECT",2026-10-07 11:59:59 UTC,2/10,0,${severity},${state},"${message}",,,,,,,,,"ops-cli","client backend",,0`;
const audit = (n: number) => `AUDIT: SESSION,${n},1,READ,SELECT,TABLE,app.account,SELECT ${n} FROM app.account,<none>`;

const rows = async (source: string, success?: boolean) =>
  (await pageActivity(w.db, { source, success }, { limit: 100, after: null, order: 'FEED_ORDER' })).map((r) => [r.statementId ?? r.command, r.class, r.exitCode, !r.failed]);

describe('activity success through the built CLI', () => {
  it('is built', () => {
    expect(existsSync(`${ROOT}dist/src/cli/main.js`), 'run `npm run build` (npm test does)').toBe(true);
  });

  it('stores a pgAudit csvlog SELECT with SQLSTATE 00000 as a success, and a damaged record between good ones as a dead letter', async () => {
    const file = join(dir, 'postgresql.csv');
    const good1 = csvlog(1, 'LOG', '00000', audit(1));
    const whole = csvlog(2, 'LOG', '00000', audit(2));
    const broken = whole.slice(0, whole.indexOf(',<none>')); // cut inside the message: its quote never closes
    writeFileSync(file, [
      good1,
      broken,
      csvlog(3, 'WARNING', '01000', audit(3)), // pgaudit.log_level = warning
      csvlog(4, 'LOG', '00000', 'checkpoint starting: time'),
      csvlog(5, 'LOG', '42P01', audit(5)),
      csvlog(6, 'LOG', '00000', audit(6)),
      '',
    ].join('\n'));
    const summary = await ingest(['--format', 'pgaudit', '--source', 'pga', file]);
    expect(summary).toMatchObject({ read: 6, stored: 4, duplicates: 0, deadLettered: 1, skipped: 1 });

    expect(await rows('pga')).toEqual([
      ['1', 'READ', '00000', true],
      ['3', 'READ', '01000', true],
      ['5', 'ERROR', '42P01', false],
      ['6', 'READ', '00000', true],
    ]);
    expect(await rows('pga', false)).toEqual([['5', 'ERROR', '42P01', false]]);
    expect((await rows('pga', true)).map((r) => r[0])).toEqual(['1', '3', '6']);

    const dead = await w.db.selectFrom('auditql.dead_letters').select(['error_code', 'raw_value']).where('source', '=', 'pga').execute();
    expect(dead.map((d) => [d.error_code, d.raw_value?.toString('utf8')])).toEqual([['AUDITQL_UNDECODABLE_RECORD', broken]]);
  });

  it('stores DAS SQL Server events with exitCode 1 as successes and the denied ones (exitCode 0) as failures', async () => {
    const summary = await ingest(['--format', 'das', '--source', 'das-mssql', `${ROOT}test/fixtures/das/rds-sqlserver-1.4.json`]);
    expect(summary).toMatchObject({ stored: 7, deadLettered: 0 });
    const bySuccess = async (success?: boolean) =>
      (await pageActivity(w.db, { source: 'das-mssql', success }, { limit: 100, after: null, order: 'FEED_ORDER' })).map((r) => [r.command, r.exitCode]);
    expect(await bySuccess(true)).toEqual([['LOGIN SUCCEEDED', '1'], ['SELECT', '1'], ['ALTER', '1'], ['INSERT', '1'], ['LOGOUT', '1']]);
    expect(await bySuccess(false)).toEqual([['DELETE', '0'], ['LOGIN FAILED', '0']]);
  });
});
