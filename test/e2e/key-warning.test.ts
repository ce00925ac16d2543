/**
 * A Debezium record with no schema and no Kafka key carries no primary key: without `--key`, its change is
 * keyed by the whole row, so one entity's insert, update and delete get different keys. The built CLI says so
 * once per table, naming the `--key` to pass, and counts key sources in the `--json` summary.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabase } from '../helpers/db.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/auditql.js`;

const source = { version: '2.7.3.Final', connector: 'postgresql', name: 'dbserver1', db: 'bank', schema: 'public', snapshot: 'false' };
const record = (op: string, txId: number, before: object | null, after: object | null, table = 'accounts') =>
  JSON.stringify({ before, after, op, ts_ms: 1718000000000 + txId, source: { ...source, table, txId, lsn: 1000 + txId, ts_ms: 1718000000000 + txId } });
const lines = [
  record('c', 1, null, { account_no: 'A-1', owner: 'ann', balance: 10 }),
  record('u', 2, null, { account_no: 'A-1', owner: 'ann', balance: 20 }),
  record('d', 3, { account_no: 'A-1', owner: 'ann', balance: 20 }, null),
  record('c', 4, null, { code: 'EUR' }, 'currencies'),
  record('c', 5, null, { code: 'USD' }, 'currencies'),
];

let db: Awaited<ReturnType<typeof createDatabase>>;
let dir: string;
let file: string;
beforeAll(async () => {
  db = await createDatabase('keywarn');
  dir = mkdtempSync(join(tmpdir(), 'auditql-keywarn-'));
  file = join(dir, 'schemaless.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
});
afterAll(async () => {
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function ingest(extra: string[]) {
  const r = await run(process.execPath, [BIN, 'ingest', '--from', 'file', '--format', 'debezium', '--json', ...extra, file], {
    env: { ...process.env, DATABASE_URL: db.url }, cwd: ROOT,
  });
  return { summary: JSON.parse(r.stdout) as Record<string, unknown>, stderr: r.stderr };
}

async function distinctKeys(sourceName: string): Promise<number> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const r = await c.query(`SELECT count(DISTINCT key_text)::int AS n FROM auditql.changes WHERE source = $1 AND table_name = 'accounts'`, [sourceName]);
    return r.rows[0].n;
  } finally {
    await c.end();
  }
}

it('warns once per table without --key and counts ROW_IMAGE keys; with --key the entity has one key', async () => {
  const bare = await ingest(['--source', 'bare']);
  expect(bare.summary).toMatchObject({ read: 5, stored: 5, keySources: { ROW_IMAGE: 5 } });
  const warnings = bare.stderr.split('\n').filter((l) => l.includes('no key in the record'));
  expect(warnings).toHaveLength(2);
  expect(warnings.join('\n')).toContain('--key public.accounts=COL[,COL]');
  expect(warnings.join('\n')).toContain('--key public.currencies=COL[,COL]');
  expect(await distinctKeys('bare')).toBeGreaterThan(1); // one entity, several keys

  const keyed = await ingest(['--source', 'keyed', '--key', 'public.accounts=account_no', '--key', 'public.currencies=code']);
  expect(keyed.summary).toMatchObject({ stored: 5, keySources: { CONFIGURED: 5 } });
  expect(keyed.stderr).not.toContain('no key in the record');
  expect(await distinctKeys('keyed')).toBe(1);
});
