/**
 * Append-only access (migrations/010_roles.sql): an ingest login in auditql_writer can write batches —
 * creating partitions through the SECURITY DEFINER function — but never UPDATE or DELETE audit rows; an
 * API login in auditql_reader can only read. Both start against an up-to-date warehouse (migrate is a no-op).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, adminUrl } from '../helpers/db.js';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { migrate } from '../../src/warehouse/migrate.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { settleAttribution } from '../../src/warehouse/attribution.js';
import { change } from '../../src/model/events.js';

let db: Awaited<ReturnType<typeof createDatabase>>;
const suffix = randomBytes(4).toString('hex');
const writer = `ingest_${suffix}`;
const reader = `api_${suffix}`;
const opened: WarehouseDb[] = [];

function loginUrl(user: string): string {
  const u = new URL(db.url);
  u.username = user;
  u.password = 'pw';
  return u.toString();
}

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  try { await c.query(sql); } finally { await c.end(); }
}

beforeAll(async () => {
  db = await createDatabase('roles');
  const owner = openWarehouse(db.url);
  await migrate(owner.pool);
  await owner.close();
  await admin(`CREATE ROLE ${writer} LOGIN PASSWORD 'pw' IN ROLE auditql_writer`);
  await admin(`CREATE ROLE ${reader} LOGIN PASSWORD 'pw' IN ROLE auditql_reader`);
});
afterAll(async () => {
  for (const w of opened) await w.close();
  await db?.drop();
  await admin(`DROP ROLE IF EXISTS ${writer}`).catch(() => {});
  await admin(`DROP ROLE IF EXISTS ${reader}`).catch(() => {});
});

const ev = (position: string, at: string) =>
  change({
    format: 'debezium', position, operation: 'INSERT', database: 'shop', schema: 'public', table: 'customers',
    key: { id: 1 }, keySource: 'RECORD_KEY', before: null, after: { id: 1 }, beforeComplete: true, unknownBefore: [],
    unknownAfter: [], changedFields: ['id'], txId: '1', txOrder: null, committedAt: new Date(at), committedAtSource: 'SOURCE',
    origin: { server: 's', connection: null, user: null }, extra: {},
  });

describe('append-only roles', () => {
  it('the writer ingests (creating a new daily partition) but cannot rewrite history', async () => {
    const w = openWarehouse(loginUrl(writer));
    opened.push(w);
    expect((await migrate(w.pool)).applied).toEqual([]);
    const r = await new WarehouseSink(w.pool, settleAttribution).write({
      source: 'roles', events: [ev('p1', '2026-03-04T05:06:07Z')], deadLetters: [], checkpoints: [{ stream: 's', position: '1' }],
    });
    expect(r.stored).toBe(1);
    // a second batch moves the checkpoint: the one UPDATE ingest may do
    await new WarehouseSink(w.pool, settleAttribution).write({ source: 'roles', events: [ev('p2', '2026-03-04T05:06:08Z')], deadLetters: [], checkpoints: [{ stream: 's', position: '2' }] });
    const parts = await w.pool.query(`select to_regclass('auditql.changes_p20260304') is not null as e`);
    expect(parts.rows[0].e).toBe(true);
    await expect(w.pool.query(`update auditql.changes set table_name = 'x'`)).rejects.toThrow(/permission denied/);
    await expect(w.pool.query(`delete from auditql.changes`)).rejects.toThrow(/permission denied/);
    await expect(w.pool.query(`drop table auditql.changes_p20260304`)).rejects.toThrow(/must be owner/);
    await expect(w.pool.query(`select auditql.ensure_daily_partition('checkpoints', '2026-01-01')`)).rejects.toThrow(/not a partitioned/);
  });

  it('the reader reads and can do nothing else', async () => {
    const r = openWarehouse(loginUrl(reader));
    opened.push(r);
    expect((await migrate(r.pool)).applied).toEqual([]);
    const rows = await r.pool.query(`select count(*)::int as n from auditql.changes where source = 'roles'`);
    expect(rows.rows[0].n).toBe(2);
    await expect(r.pool.query(`insert into auditql.checkpoints (source, stream, position) values ('x', 'y', 'z')`)).rejects.toThrow(/permission denied/);
    await expect(r.pool.query(`delete from auditql.changes`)).rejects.toThrow(/permission denied/);
    await expect(r.pool.query(`select auditql.ensure_daily_partition('changes', '2026-01-01')`)).rejects.toThrow(/permission denied/);
  });
});
