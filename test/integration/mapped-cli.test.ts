/**
 * `--format mapped` through what ships: the built CLI ingests both worked examples of docs/formats/mapped.md
 * (test/fixtures/mapped/) into a real warehouse; the rows are read back from auditql.activity and
 * auditql.changes, the malformed events from auditql.dead_letters, the filtered ones counted by reason.
 * A broken mapping stops the command before it touches the warehouse, naming the key.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { createDatabase } from '../helpers/db.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/auditql.js`;
const FIX = `${ROOT}test/fixtures/mapped/`;

let db: Awaited<ReturnType<typeof createDatabase>>;
let w: WarehouseDb;
let dir: string;
beforeAll(async () => {
  db = await createDatabase('mapped');
  w = openWarehouse(db.url);
  dir = mkdtempSync(join(tmpdir(), 'auditql-mapped-'));
});
afterAll(async () => {
  await w?.close();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ingest = async (args: string[]) => {
  const r = await run(process.execPath, [BIN, 'ingest', '--from', 'file', '--format', 'mapped', '--json', ...args], { env: { ...process.env, DATABASE_URL: db.url }, cwd: ROOT });
  return JSON.parse(r.stdout.trim()) as Record<string, unknown>;
};

const deadLetters = async (source: string) =>
  (await w.pool.query(`select error_code, error_message, raw_value from auditql.dead_letters where source = $1 order by id`, [source])).rows.map(
    (r) => [r.error_code, r.error_message, JSON.parse(r.raw_value.toString('utf8')).timestamp ?? JSON.parse(r.raw_value.toString('utf8')).request_id],
  );

describe('ingest --format mapped through the built CLI', () => {
  it('is built', () => expect(existsSync(`${ROOT}dist/src/cli/main.js`), 'run `npm run build` (npm test does)').toBe(true));

  it('stores the endpoint process starts as activity; filtered events skipped by reason; malformed ones dead-lettered', async () => {
    const summary = await ingest(['--mapping', `${FIX}endpoint-procstart.mapping.json`, '--source', 'edr', `${FIX}endpoint-procstart.jsonl`]);
    expect(summary).toEqual({
      read: 7, stored: 2, duplicates: 0, deadLettered: 3, skipped: 2,
      formats: { mapped: 2 }, skippedBy: { 'FILTERED:agent-heartbeat': 1, 'FILTERED:systemd-service': 1 }, keySources: {},
    });
    const rows = await w.pool.query(
      `select format, class, command, command_text, object_name, db_user, remote_host, server, pid, occurred_at, extra
         from auditql.activity where source = 'edr' order by seq`);
    expect(rows.rows).toEqual([
      {
        format: 'mapped', class: 'MISC', command: 'PROCESS_START', command_text: 'C:\\Windows\\System32\\cmd.exe',
        object_name: 'C:\\Windows\\System32\\cmd.exe', db_user: 'alice', remote_host: 'ws-0142.corp.example', server: 'ws-0142.corp.example',
        pid: '4412', occurred_at: new Date('2024-01-12T09:30:00.000Z'),
        extra: { parentPath: 'C:\\Windows\\explorer.exe', user: 'CORP\\Alice', mapping: 'endpoint', eventType: 'procstart' },
      },
      {
        format: 'mapped', class: 'CONNECT', command: 'PROCESS_START', command_text: 'psql -h db1.corp.example shop',
        object_name: '/usr/bin/psql', db_user: 'bob', remote_host: 'build-07', server: 'build-07',
        pid: '31337', occurred_at: new Date('2024-01-12T09:31:01.250Z'),
        extra: { parentPath: '/bin/bash', user: 'bob@CORP.EXAMPLE', mapping: 'endpoint', eventType: 'procstart' },
      },
    ]);
    expect(await deadLetters('edr')).toEqual([
      ['AUDITQL_UNDECODABLE_RECORD', 'mapping events[0].fields.occurredAt.time: not a number of epoch seconds', 'yesterday'],
      ['AUDITQL_UNDECODABLE_RECORD', 'mapping events[0].fields.pid: evaluated to an object, expected a string', 1705051960],
      ['AUDITQL_UNSUPPORTED_RECORD', 'mapping: the event matches no event type (procstart)', 1705051990],
    ]);
    const again = await ingest(['--mapping', `${FIX}endpoint-procstart.mapping.json`, '--source', 'edr', `${FIX}endpoint-procstart.jsonl`]);
    expect(again).toMatchObject({ read: 7, stored: 0, duplicates: 5, deadLettered: 0, skipped: 2 });
  });

  it('stores the application audit records as changes and activity, with the expression error of a malformed one', async () => {
    const summary = await ingest(['--mapping', `${FIX}app-audit.mapping.json`, '--source', 'shop-app', `${FIX}app-audit.jsonl`]);
    expect(summary).toMatchObject({ read: 7, stored: 5, deadLettered: 1, skipped: 1, skippedBy: { 'FILTERED:healthcheck': 1 } });
    const changes = await w.pool.query(
      `select operation, database_name, schema_name, table_name, key, before, after, changed_fields, source_user, committed_at
         from auditql.changes where source = 'shop-app' order by seq`);
    expect(changes.rows.map((r) => [r.operation, `${r.database_name}.${r.schema_name}.${r.table_name}`, r.key, r.before, r.after, r.changed_fields, r.source_user, r.committed_at.toISOString()])).toEqual([
      ['INSERT', 'shop.public.orders', { id: 1001 }, null, { status: 'pending', total: 19.99 }, ['status', 'total'], 'alice@example.com', '2024-01-12T09:30:00.125Z'],
      ['UPDATE', 'shop.public.orders', { id: 1001 }, { status: 'pending' }, { status: 'paid' }, ['status'], 'alice@example.com', '2024-01-12T09:31:10.000Z'],
      ['DELETE', 'shop.public.orders', { id: 1002 }, { status: 'cancelled' }, null, ['status'], 'bob@example.com', '2024-01-12T09:34:00.000Z'],
    ]);
    const activity = await w.pool.query(`select class, raw_class, command, db_user, remote_host, error_message from auditql.activity where source = 'shop-app' order by seq`);
    expect(activity.rows.map((r) => Object.values(r))).toEqual([
      ['CONNECT', 'auth.login', 'LOGIN', 'alice@example.com', '203.0.113.7', null],
      ['AUTH_FAILURE', 'auth.login_failed', 'LOGIN_FAILED', 'mallory@example.com', '198.51.100.23', 'bad password'],
    ]);
    expect(await deadLetters('shop-app')).toEqual([
      ['AUDITQL_UNDECODABLE_RECORD', expect.stringMatching(/^mapping events\[0\]\.fields\.before: JSONata T0410 at character \d+: Argument 1 of function "each" does not match function signature$/), 'r-5'],
    ]);
  });

  it('refuses a mapping with a JSONata syntax error before touching the warehouse, naming the key (exit 2)', async () => {
    const bad = join(dir, 'bad.mapping.json');
    writeFileSync(bad, JSON.stringify({ events: [{ type: 'x', match: 'true', kind: 'activity', fields: { dbUser: { expr: 'user.(name' } } }] }));
    const err = await run(process.execPath, [BIN, 'ingest', '--from', 'file', '--format', 'mapped', '--mapping', bad, `${FIX}app-audit.jsonl`], {
      env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, cwd: ROOT,
    }).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/--mapping .*bad\.mapping\.json: mapping: events\[0\]\.fields\.dbUser\.expr: JSONata syntax error .*\[AUDITQL_BAD_CONFIG\]/);
    const missing = await run(process.execPath, [BIN, 'ingest', '--from', 'file', '--format', 'mapped', `${FIX}app-audit.jsonl`], { cwd: ROOT })
      .then(() => null, (e: { code: number; stderr: string }) => e);
    expect(missing?.stderr).toMatch(/--format mapped needs --mapping FILE/);
  });
});
