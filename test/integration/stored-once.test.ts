/**
 * Each fact stored once (docs/warehouse.md "Storing each fact once"), against a real PostgreSQL:
 * - a change's key (src/warehouse/stored-key.ts): every kind of key reads back as the key the decoder
 *   made, whether the sink stored it or left it NULL;
 * - the shared part of `extra` (src/warehouse/source-blocks.ts): stored once per distinct block, every
 *   row's `extra` reads back as decoded, to the byte;
 * - a warehouse whose rows hold their whole key and extra (the layout before migrations 050 and 051)
 *   answers the same and its ledger verifies; a derived key or a shared block is still covered by the ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { change, type ChangeEvent } from '../../src/model/events.js';
import type { JsonRow } from '../../src/model/json.js';
import { changeColumns } from '../../src/warehouse/queries/change-record.js';
import { keyIsDerivable, storedKeySql } from '../../src/warehouse/stored-key.js';
import { changeExtraSql, SHARED_EXTRA_FIELDS } from '../../src/warehouse/source-blocks.js';
import { verifyLedger } from '../../src/warehouse/ledger/verify.js';
import { migrate } from '../../src/warehouse/migrate.js';
import { NEW_DAY, seedLedger, type Seeded } from '../helpers/ledger-seed.js';

interface Case { readonly name: string; readonly key: JsonRow; readonly before: JsonRow | null; readonly after: JsonRow | null; readonly derivable: boolean }

const CASES: readonly Case[] = [
  { name: 'integer id', key: { id: 7 }, before: null, after: { id: 7, v: 'a' }, derivable: true },
  { name: 'negative and fractional numbers', key: { a: -3, b: 1.25 }, before: null, after: { b: 1.25, a: -3 }, derivable: true },
  { name: 'big integer as a string', key: { id: '12345678901234567890' }, before: null, after: { id: '12345678901234567890' }, derivable: true },
  { name: 'delete: key from before', key: { id: 9 }, before: { id: 9, v: 'x' }, after: null, derivable: true },
  {
    name: 'column names jsonb orders differently from a sort', key: { zz: 1, b: 'x', 'ä': true, 'é€': null, aaa: 'q"\\\n' },
    before: null, after: { aaa: 'q"\\\n', 'é€': null, 'ä': true, b: 'x', zz: 1, other: [1] }, derivable: true,
  },
  { name: 'update that changes the key: key from after', key: { id: 2 }, before: { id: 1 }, after: { id: 2 }, derivable: true },
  { name: 'record key the image does not repeat (type)', key: { id: '7' }, before: null, after: { id: 7 }, derivable: false },
  { name: 'record key column missing from the image', key: { id: 7, region: 'eu' }, before: null, after: { id: 7 }, derivable: false },
  { name: 'object value', key: { k: { a: 1 } }, before: null, after: { k: { a: 1 } }, derivable: false },
  { name: 'no key', key: {}, before: null, after: { v: 1 }, derivable: false },
  { name: 'no image', key: { id: 3 }, before: null, after: null, derivable: false },
];

/** Extras: Debezium's source facts (two tables of one connector, a snapshot row), pgoutput's, none shared, only shared. */
const dbz = (table: string, lsn: number, snapshot = 'false') =>
  ({ connector: 'postgresql', version: '2.7.3.Final', snapshot, ts_us: 1_700_000_000_000_000 + lsn, lsn, sequence: `["${lsn - 8}","${lsn}"]`, topic: `shop.public.${table}` });
const EXTRAS: readonly JsonRow[] = [
  dbz('t0', 100), dbz('t0', 108), dbz('t0', 116, 'last'), dbz('other', 124),
  { lsn: '0/16B3748', commitLsn: '0/16B3790', relationOid: 16_384, replicaIdentity: 'd', oldKind: 'key' },
  { lsn: 5 }, { connector: 'mysql', server_id: 223_344, 'ü "q"\n': 'x' }, {},
];

const mk = (i: number, c: Case): ChangeEvent => change({
  format: 'debezium', position: `k${i}`, operation: c.after ? 'INSERT' : c.before ? 'DELETE' : 'TRUNCATE', database: 'shop', schema: 'public',
  table: `t${i}`, key: c.key, keySource: 'RECORD_KEY', before: c.before, after: c.after, beforeComplete: true, unknownBefore: [], unknownAfter: [],
  changedFields: [], txId: `kt${i}`, txOrder: 1, committedAt: NEW_DAY, committedAtSource: 'SOURCE',
  origin: { server: 'pg1', connection: null, user: null }, extra: { ...EXTRAS[i % EXTRAS.length]! },
});

const EVENTS = CASES.map((c, i) => mk(i, c));

let s: Seeded;
beforeAll(async () => { s = await seedLedger(undefined, EVENTS); });
afterAll(async () => { await s.w.destroy(); });

/** Every change read through the API's column list, keyed by position. */
async function readAll(): Promise<Map<string, unknown>> {
  const r = await sql<{ position: string }>`select ${changeColumns('c')} from auditql.changes c order by c.seq`.execute(s.w.db);
  return new Map(r.rows.map((row) => [row.position, row]));
}

const verify = () => verifyLedger(s.w.pool, { trusted: [s.signer] });

describe('each fact stored once', () => {
  it('is left NULL exactly where the image holds it, and every key reads back as decoded, to the byte', async () => {
    expect(EVENTS.map(keyIsDerivable)).toEqual(CASES.map((c) => c.derivable));
    const r = await s.w.pool.query<{ position: string; stored: boolean; key: unknown; text: string; want: string }>(
      `select c.position, c.key is not null as stored, ${storedKeySql('c')} as key, ${storedKeySql('c')}::text as text,
              w.want::jsonb::text as want
       from auditql.changes c join unnest($1::text[], $2::text[]) w(position, want) using (position) order by c.position`,
      [EVENTS.map((e) => e.position), EVENTS.map((e) => JSON.stringify(e.key))]);
    expect(r.rows).toHaveLength(CASES.length);
    for (const row of r.rows) {
      const i = Number(row.position.slice(1));
      expect({ name: CASES[i]!.name, stored: row.stored, key: row.key, text: row.text })
        .toEqual({ name: CASES[i]!.name, stored: !CASES[i]!.derivable, key: CASES[i]!.key, text: row.want });
    }
    // the seed's own changes (record key { id } repeated in the image) are derived too
    const seeded = await s.w.pool.query<{ n: string }>(`select count(*)::text as n from auditql.changes where key is null and position like 'c%'`);
    expect(seeded.rows[0]!.n).toBe('5');
  });

  it('stores each shared block once, and every extra reads back as decoded, to the byte', async () => {
    const r = await s.w.pool.query<{ position: string; own: Record<string, unknown>; blocked: boolean; text: string; want: string }>(
      `select c.position, c.extra as own, c.extra_block is not null as blocked, ${changeExtraSql('c')}::text as text, w.want::jsonb::text as want
       from auditql.changes c join unnest($1::text[], $2::text[]) w(position, want) using (position) order by c.position`,
      [EVENTS.map((e) => e.position), EVENTS.map((e) => JSON.stringify(e.extra))]);
    expect(r.rows).toHaveLength(EVENTS.length);
    for (const row of r.rows) {
      const extra = EVENTS[Number(row.position.slice(1))]!.extra;
      const shared = Object.keys(extra).filter((k) => SHARED_EXTRA_FIELDS.includes(k));
      expect({ p: row.position, text: row.text, blocked: row.blocked, ownShared: Object.keys(row.own).filter((k) => SHARED_EXTRA_FIELDS.includes(k)) })
        .toEqual({ p: row.position, text: row.want, blocked: shared.length > 0, ownShared: [] });
    }
    const blocks = await s.w.pool.query<{ block: unknown }>(`select block from auditql.source_blocks order by block::text`);
    const want = new Set(EVENTS.map((e) => Object.fromEntries(Object.entries(e.extra).filter(([k]) => SHARED_EXTRA_FIELDS.includes(k))))
      .filter((b) => Object.keys(b).length > 0).map((b) => JSON.stringify(b)));
    // dbz t0 (twice), t0 snapshot 'last', other, pgoutput, mysql: 5 distinct blocks; the seed's extras share none
    expect(want.size).toBe(5);
    expect(blocks.rows).toHaveLength(want.size);
  });

  it('auditql.changes_whole gives SQL readers every key and extra as the API does', async () => {
    const r = await s.w.pool.query<{ n: number; differ: number }>(
      `select count(*)::int as n,
              count(*) filter (where v.key is distinct from ${storedKeySql('c')} or v.extra is distinct from ${changeExtraSql('c')}
                               or v.key is null or v.extra is null)::int as differ
       from auditql.changes c join auditql.changes_whole v using (seq)`);
    expect(r.rows[0]).toEqual({ n: EVENTS.length + 5, differ: 0 });
    // a time bound on the view prunes partitions as on the table
    const plan = await s.w.pool.query<{ 'QUERY PLAN': string }>(
      `explain (costs off) select * from auditql.changes_whole where part_at >= $1 and part_at < $1::timestamptz + interval '1 day'`, ['2026-11-20T00:00:00Z']);
    const scanned = plan.rows.map((x) => x['QUERY PLAN']).filter((l) => / on changes_/.test(l) && !/source_blocks/.test(l));
    expect(scanned).toHaveLength(1);
  });

  it('answers the same and verifies when every row holds its whole key and extra, as rows stored before migrations 050 and 051 do', async () => {
    const before = await readAll();
    expect((await verify()).intact).toBe(true);
    const filled = await s.w.pool.query(
      `update auditql.changes c set key = ${storedKeySql('c')}, extra = ${changeExtraSql('c')}, extra_block = null
       where c.key is null or c.extra_block is not null`);
    expect(filled.rowCount).toBeGreaterThan(5);
    expect(await readAll()).toEqual(before);
    const report = await verify();
    expect([report.intact, report.divergenceCount]).toEqual([true, 0]);
  });

  it('migrations 050 and 051 upgrade a populated warehouse of the layout before them in place: same rows, same ledger', async () => {
    const t = await seedLedger(undefined, EVENTS);
    try {
      // Back to the layout before 050 and 051, rows and all: every key and extra whole, no block table.
      await t.w.pool.query(`update auditql.changes c set key = ${storedKeySql('c')}, extra = ${changeExtraSql('c')}, extra_block = null`);
      await t.w.pool.query(`drop view auditql.changes_whole; alter table auditql.changes drop column extra_block; drop table auditql.source_blocks;
                            alter table auditql.changes alter column key set not null;
                            delete from auditql.schema_migrations where name in ('050_key_stored_once.sql', '051_source_blocks.sql')`);
      const old = await t.w.pool.query(`select position, key, extra from auditql.changes order by seq`);
      const parts = await t.w.pool.query<{ n: number }>(`select count(distinct tableoid)::int as n from auditql.changes`);
      expect(parts.rows[0]!.n).toBeGreaterThan(1);
      expect((await migrate(t.w.pool)).applied).toEqual(['050_key_stored_once.sql', '051_source_blocks.sql']);
      const now = await sql<{ position: string; key: unknown; extra: unknown }>`select ${changeColumns('c')} from auditql.changes c order by c.seq`.execute(t.w.db);
      expect(now.rows.map((r) => ({ position: r.position, key: r.key, extra: r.extra }))).toEqual(old.rows);
      const check = () => verifyLedger(t.w.pool, { trusted: [t.signer] });
      expect((await check()).divergenceCount).toBe(0);
      // and the new layout's rows join them
      const later = { ...mk(100, CASES[0]!), position: 'after-upgrade' };
      await t.write([later]);
      await t.sink.ledger.seal();
      const report = await check();
      expect([report.intact, report.divergenceCount]).toEqual([true, 0]);
      // the process that wrote before still sends the block the recreated table lacks
      const added = await t.w.pool.query(`select ${changeExtraSql('c')} as extra from auditql.changes c where c.position = 'after-upgrade'`);
      expect(added.rows[0]!.extra).toEqual(later.extra);
      const mixed = await t.w.pool.query<{ old: number; new: number }>(
        `select count(*) filter (where extra_block is null and key is not null)::int as old, count(*) filter (where extra_block is not null)::int as new from auditql.changes`);
      expect(mixed.rows[0]).toEqual({ old: old.rows.length, new: 1 });
    } finally {
      await t.w.destroy();
    }
  });

  it('a shared block is covered by the ledger: editing it, or pointing a row at another, is found', async () => {
    const t = await seedLedger(undefined, EVENTS);
    try {
      const check = () => verifyLedger(t.w.pool, { trusted: [t.signer] });
      expect((await check()).intact).toBe(true);
      await t.w.pool.query(`update auditql.changes set extra_block = (select extra_block from auditql.changes where position = 'k3')
                            where position = 'k0'`);
      expect((await check()).divergenceCount).toBe(1);
      await t.w.pool.query(`update auditql.source_blocks set block = block || '{"version": "9"}' where block ? 'version'`);
      expect((await check()).divergenceCount).toBeGreaterThan(1);
    } finally {
      await t.w.destroy();
    }
  });

  it('a derived key is still covered by the ledger: editing the image it comes from is found', async () => {
    expect((await verify()).intact).toBe(true);
    await s.w.pool.query(`update auditql.changes set after = jsonb_set(after, '{id}', '70') where position = 'k0'`);
    const report = await verify();
    expect(report.intact).toBe(false);
    expect(report.divergenceCount).toBeGreaterThan(0);
  });
});
