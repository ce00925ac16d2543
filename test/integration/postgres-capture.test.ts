/**
 * Built-in PostgreSQL capture against real PostgreSQL (the harness's server runs with wal_level=logical):
 * one database is the source, another the warehouse. Transactions with known xids run on the source; the
 * capture (source → pgoutput decoder → sink) stores them; the test reads the warehouse back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { createDatabase, freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { probeUntil } from '../helpers/until.js';
import { decodeContext } from '../../src/decoders/context.js';
import type { Logger } from '../../src/log.js';
import { startPostgresCapture, type PostgresCapture } from '../../src/cli/commands/ingest-postgres.js';
import { openPostgresSource } from '../../src/sources/postgres/postgres-source.js';

interface Logged { level: string; msg: string }
function memoryLogger(lines: Logged[]): Logger {
  const at = (level: string) => (msg: string) => { lines.push({ level, msg }); };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const SCHEMA = `
  create table order_lines (order_id int, line_no int, sku text, qty int, primary key (order_id, line_no));
  create table events_log (at timestamptz, kind text, payload jsonb);
  alter table events_log replica identity full;
  create table customers (
    id bigint primary key, email text, balance numeric(30,10), profile jsonb, photo bytea, seen_at timestamptz,
    born date, local_at timestamp, score float8, flag boolean, tags text[], big bigint, notes text);
  alter table customers alter column notes set storage external;
  create table accounts (id int primary key, owner text, note text);
  alter table accounts replica identity full;
  create table not_published (id int primary key);
  create publication aq_pub for table order_lines, events_log, customers, accounts;
`;

describe('postgres capture', () => {
  let src: Awaited<ReturnType<typeof createDatabase>>;
  let w: TestWarehouse;
  let srcPool: pg.Pool;
  const logs: Logged[] = [];
  let capture: PostgresCapture;

  beforeAll(async () => {
    src = await createDatabase('src');
    w = await freshWarehouse();
    srcPool = new pg.Pool({ connectionString: src.url, max: 3 });
    await srcPool.query(SCHEMA);
  });

  afterAll(async () => {
    await capture?.stop().catch(() => {});
    await srcPool?.end();
    await w?.destroy();
    await src?.drop();
  });

  /** Run statements in one source transaction; returns its 32-bit xid and the commit time bounds. */
  async function tx(statements: string[]): Promise<{ xid: string; from: Date; to: Date }> {
    const c = await srcPool.connect();
    try {
      await c.query('begin');
      const x = await c.query<{ xid: string }>(`select (pg_current_xact_id()::text::bigint % 4294967296)::text as xid`);
      for (const s of statements) await c.query(s);
      const from = (await c.query<{ t: Date }>('select clock_timestamp() as t')).rows[0]!.t;
      await c.query('commit');
      const to = (await c.query<{ t: Date }>('select clock_timestamp() as t')).rows[0]!.t;
      return { xid: x.rows[0]!.xid, from, to };
    } finally {
      c.release();
    }
  }

  const changes = async () =>
    (await w.pool.query(
      `select position, operation, database_name, schema_name, table_name, key, key_source, before, after, before_complete,
              unknown_before, unknown_after, changed_fields, tx_id, tx_order, committed_at, server, format
       from auditql.changes_whole where source = 'pg-test' order by seq`,
    )).rows;

  it('checks the publication, names tables without REPLICA IDENTITY FULL in one warning, and creates the slot', async () => {
    await expect(
      openPostgresSource({ url: src.url, publication: 'nope', slot: 'aq_slot', createSlot: true, log: memoryLogger([]) }),
    ).rejects.toThrow(/publication "nope" does not exist/);
    await expect(
      openPostgresSource({ url: src.url, publication: 'aq_pub', slot: 'aq_missing', log: memoryLogger([]) }),
    ).rejects.toThrow(/replication slot "aq_missing" does not exist.*--create-slot/);

    capture = await startPostgresCapture({
      pool: w.pool, sourceName: 'pg-test', sourceUrl: src.url, publication: 'aq_pub', slot: 'aq_slot', createSlot: true,
      ctx: decodeContext(), log: memoryLogger(logs),
    });
    const warnings = logs.filter((l) => l.level === 'warn' && l.msg.includes('REPLICA IDENTITY FULL'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('public.customers (default)');
    expect(warnings[0]!.msg).toContain('public.order_lines (default)');
    expect(warnings[0]!.msg).not.toContain('accounts');
    expect(warnings[0]!.msg).not.toContain('events_log');
    const slot = await srcPool.query(`select plugin from pg_replication_slots where slot_name = 'aq_slot'`);
    expect(slot.rows).toEqual([{ plugin: 'pgoutput' }]);
  });

  it('stores every change with its xid, commit time, key, images and completeness; context messages for their transaction', async () => {
    const sysid = (await srcPool.query(`select system_identifier::text as s from pg_control_system()`)).rows[0].s as string;
    const t1 = await tx([
      `select pg_logical_emit_message(true, 'auditql', '{"user":"alice@example.com","requestId":"r1"}')`,
      `select pg_logical_emit_message(true, 'other-app', 'not for us')`,
      `insert into customers values (1, 'a@x', 12345678901234567890.0123456789, '{"a": 1, "big": 12345678901234567890}',
         '\\x0102ff', '2024-05-01 12:00:00.123456+02', '2024-05-01', '2024-05-01 10:00:00.5', 1.5, true,
         '{a,"b c",NULL}', 9007199254740993, repeat(md5('x'), 300))`,
      `insert into order_lines values (1, 1, 'sku-1', 2), (1, 2, 'sku-2', 1)`,
      `insert into events_log values ('2024-05-01T00:00:00Z', 'signup', '{"k": [1, 2]}')`,
      `insert into accounts values (7, 'ann', 'n1')`,
      `insert into not_published values (1)`,
    ]);
    const t2 = await tx([
      `update customers set email = 'b@x' where id = 1`, // notes (TOASTed) unchanged → not sent
      `update order_lines set qty = 5 where order_id = 1 and line_no = 1`,
      `update order_lines set line_no = 3 where order_id = 1 and line_no = 2`, // key change: old key sent
      `update accounts set note = 'n2' where id = 7`,
    ]);
    const t3 = await tx([
      `select pg_logical_emit_message(true, 'auditql', '{"user":"bob@example.com","requestId":"r2"}')`,
      `delete from order_lines where order_id = 1 and line_no = 1`,
      `delete from accounts where id = 7`,
      `delete from events_log`,
    ]);
    const t4 = await tx([`truncate order_lines`]);
    await srcPool.query(`select pg_logical_emit_message(false, 'auditql', '{"user":"nobody"}')`);

    const rows = await probeUntil('13 changes', changes, (r) => r.length >= 13);
    expect(rows).toHaveLength(13);
    const seen = rows.map((r) => [r.tx_id, r.operation, r.table_name, Number(r.tx_order)]);
    expect(seen).toEqual([
      [t1.xid, 'INSERT', 'customers', 3],
      [t1.xid, 'INSERT', 'order_lines', 4],
      [t1.xid, 'INSERT', 'order_lines', 5],
      [t1.xid, 'INSERT', 'events_log', 6],
      [t1.xid, 'INSERT', 'accounts', 7],
      [t2.xid, 'UPDATE', 'customers', 1],
      [t2.xid, 'UPDATE', 'order_lines', 2],
      [t2.xid, 'UPDATE', 'order_lines', 3],
      [t2.xid, 'UPDATE', 'accounts', 4],
      [t3.xid, 'DELETE', 'order_lines', 2],
      [t3.xid, 'DELETE', 'accounts', 3],
      [t3.xid, 'DELETE', 'events_log', 4],
      [t4.xid, 'TRUNCATE', 'order_lines', 1],
    ]);
    for (const r of rows) {
      expect(r.format).toBe('pgoutput');
      expect(r.database_name).toBe(src.name);
      expect(r.schema_name).toBe('public');
      expect(r.server).toBe(sysid);
    }
    // commit times come from the source's commit record: inside the window around COMMIT
    for (const [r, t] of [[rows[0], t1], [rows[5], t2], [rows[9], t3], [rows[12], t4]] as const) {
      expect(r.committed_at.getTime()).toBeGreaterThanOrEqual(t.from.getTime() - 1);
      expect(r.committed_at.getTime()).toBeLessThanOrEqual(t.to.getTime() + 1);
    }

    const [ins, , , evIns] = rows;
    expect(ins).toMatchObject({ key: { id: 1 }, key_source: 'SOURCE_PK', before: null, before_complete: true });
    expect(ins.after).toEqual({
      id: 1, email: 'a@x', balance: '12345678901234567890.0123456789', profile: { a: 1, big: '12345678901234567890' },
      photo: Buffer.from([1, 2, 0xff]).toString('base64'), seen_at: '2024-05-01T10:00:00.123456Z', born: '2024-05-01',
      local_at: '2024-05-01T10:00:00.5', score: 1.5, flag: true, tags: ['a', 'b c', null], big: '9007199254740993',
      notes: createHash('md5').update('x').digest('hex').repeat(300),
    });
    expect(evIns).toMatchObject({ key_source: 'ROW_IMAGE', before_complete: true });
    expect(rows[1]).toMatchObject({ key: { order_id: 1, line_no: 1 }, key_source: 'SOURCE_PK' });

    const [updCustomer, updLine, updKey, updAccount] = rows.slice(5, 9);
    // default identity, key unchanged: no old tuple; unchanged TOAST column unknown, never stored as a value
    expect(updCustomer).toMatchObject({ before: null, before_complete: false, unknown_after: ['notes'] });
    expect(updCustomer.after).not.toHaveProperty('notes');
    expect(updCustomer.after.email).toBe('b@x');
    expect(updLine).toMatchObject({ key: { order_id: 1, line_no: 1 }, before: null, before_complete: false });
    // key changed: the old key is the before image, incomplete
    expect(updKey).toMatchObject({ key: { order_id: 1, line_no: 3 }, before: { order_id: 1, line_no: 2 }, before_complete: false });
    // REPLICA IDENTITY FULL: the whole old row; keyed by its primary key
    expect(updAccount).toMatchObject({
      key: { id: 7 }, key_source: 'SOURCE_PK', before: { id: 7, owner: 'ann', note: 'n1' }, after: { id: 7, owner: 'ann', note: 'n2' },
      before_complete: true, changed_fields: ['note'],
    });

    const [delLine, delAccount, delEvent] = rows.slice(9, 12);
    expect(delLine).toMatchObject({ key: { order_id: 1, line_no: 1 }, before: { order_id: 1, line_no: 1 }, after: null, before_complete: false });
    expect(delAccount).toMatchObject({ key: { id: 7 }, before: { id: 7, owner: 'ann', note: 'n2' }, before_complete: true });
    expect(delEvent).toMatchObject({
      key_source: 'ROW_IMAGE', before: { at: '2024-05-01T00:00:00Z', kind: 'signup', payload: { k: [1, 2] } }, before_complete: true,
    });
    expect(rows[12]).toMatchObject({ operation: 'TRUNCATE', key: {}, key_source: 'NONE', before: null, after: null });

    const contexts = await probeUntil('2 contexts', async () =>
      (await w.pool.query(`select tx_id, app_user, content, server, prefix from auditql.contexts where source = 'pg-test' order by seq`)).rows,
    (r) => r.length >= 2);
    expect(contexts).toEqual([
      { tx_id: t1.xid, app_user: 'alice@example.com', content: { user: 'alice@example.com', requestId: 'r1' }, server: sysid, prefix: 'auditql' },
      { tx_id: t3.xid, app_user: 'bob@example.com', content: { user: 'bob@example.com', requestId: 'r2' }, server: sysid, prefix: 'auditql' },
    ]);

    const boundaries = (await w.pool.query(
      `select tx_id, status, event_count, data_collections from auditql.transaction_events where source = 'pg-test' order by seq`)).rows;
    expect(boundaries.map((b) => [b.tx_id, b.status])).toEqual([
      [t1.xid, 'BEGIN'], [t1.xid, 'END'], [t2.xid, 'BEGIN'], [t2.xid, 'END'], [t3.xid, 'BEGIN'], [t3.xid, 'END'], [t4.xid, 'BEGIN'], [t4.xid, 'END'],
    ]);
    expect(boundaries[1]).toMatchObject({ event_count: '5' }); // bigint column
    expect(boundaries[1].data_collections).toEqual([
      { data_collection: 'public.customers', event_count: 1 },
      { data_collection: 'public.order_lines', event_count: 2 },
      { data_collection: 'public.events_log', event_count: 1 },
      { data_collection: 'public.accounts', event_count: 1 },
    ]);

    // the checkpoint is the last commit's end LSN, and the slot was told it (acknowledged after the commit)
    const cp = await probeUntil('checkpoint', async () =>
      (await w.pool.query(`select stream, position from auditql.checkpoints where source = 'pg-test'`)).rows, (r) => r.length === 1);
    expect(cp[0].stream).toBe('slot:aq_slot');
    const slot = await probeUntil('slot confirmation', async () =>
      (await srcPool.query(`select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = 'aq_slot'`)).rows[0].lsn as string,
    (lsn) => lsn === cp[0].position);
    expect(slot).toBe(cp[0].position);
  });

  it('reconnects with backoff when the source connection is dropped, losing and duplicating nothing', async () => {
    const before = (await changes()).length;
    const killed = await srcPool.query(
      `select pg_terminate_backend(active_pid) as ok from pg_replication_slots where slot_name = 'aq_slot' and active_pid is not null`);
    expect(killed.rows).toEqual([{ ok: true }]);
    const t = await tx([`insert into order_lines values (9, 1, 'after-drop', 1)`, `insert into order_lines values (9, 2, 'after-drop', 1)`]);
    const rows = await probeUntil('changes after the drop', changes, (r) => r.length >= before + 2);
    expect(rows).toHaveLength(before + 2);
    expect(rows.slice(-2).map((r) => [r.tx_id, r.key])).toEqual([[t.xid, { order_id: 9, line_no: 1 }], [t.xid, { order_id: 9, line_no: 2 }]]);
    expect(logs.some((l) => l.level === 'warn' && /source connection lost .*reconnecting in \d+ ms/.test(l.msg))).toBe(true);
    await probeUntil('reconnect logged', async () => logs.some((l) => /re-established/.test(l.msg)), Boolean);
    const dupes = await w.pool.query(`select position, count(*) from auditql.changes group by 1 having count(*) > 1`);
    expect(dupes.rows).toEqual([]);
  });

  it('moves the checkpoint and the slot past quiet WAL on a non-transactional heartbeat message', async () => {
    const cp = async () => (await w.pool.query(`select position from auditql.checkpoints where source = 'pg-test'`)).rows[0].position as string;
    const before = await cp();
    await srcPool.query(`insert into not_published select generate_series(100, 200)`);
    const hb = (await srcPool.query(`select pg_logical_emit_message(false, 'auditql-heartbeat', '')::text as lsn`)).rows[0].lsn as string;
    const after = await probeUntil('checkpoint past the heartbeat', cp, (p) => p !== before);
    expect((await srcPool.query(`select $1::pg_lsn > $2::pg_lsn as past`, [after, hb])).rows[0].past).toBe(true);
    await probeUntil('slot confirmation', async () =>
      (await srcPool.query(`select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = 'aq_slot'`)).rows[0].lsn as string,
    (lsn) => lsn === after);
  });

  it('stops cleanly: the last batch is written and acknowledged, and the slot is released', async () => {
    const summary = await capture.stop();
    expect(summary.deadLettered).toBe(0);
    expect(summary.skippedBy).toMatchObject({ NOT_AUDIT: 2, NON_TRANSACTIONAL_MESSAGE: 1 });
    const slot = await probeUntil('slot released', async () =>
      (await srcPool.query(`select active from pg_replication_slots where slot_name = 'aq_slot'`)).rows[0].active as boolean, (a) => a === false);
    expect(slot).toBe(false);
  });
});
