/**
 * A change's key stored once (src/warehouse/stored-key.ts, docs/warehouse.md "Storing each fact once"):
 * against a real PostgreSQL, every kind of key reads back as the key the decoder made, whether the sink
 * stored it or left it NULL; a warehouse whose rows all hold their key (the layout before migration 050)
 * answers the same and its ledger verifies; and a derived key is still covered by the ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { change, type ChangeEvent } from '../../src/model/events.js';
import type { JsonRow } from '../../src/model/json.js';
import { changeColumns } from '../../src/warehouse/queries/change-record.js';
import { keyIsDerivable, storedKeySql } from '../../src/warehouse/stored-key.js';
import { verifyLedger } from '../../src/warehouse/ledger/verify.js';
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

const mk = (i: number, c: Case): ChangeEvent => change({
  format: 'debezium', position: `k${i}`, operation: c.after ? 'INSERT' : c.before ? 'DELETE' : 'TRUNCATE', database: 'shop', schema: 'public',
  table: `t${i}`, key: c.key, keySource: 'RECORD_KEY', before: c.before, after: c.after, beforeComplete: true, unknownBefore: [], unknownAfter: [],
  changedFields: [], txId: `kt${i}`, txOrder: 1, committedAt: NEW_DAY, committedAtSource: 'SOURCE',
  origin: { server: 'pg1', connection: null, user: null }, extra: {},
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

describe('a key stored once', () => {
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

  it('answers the same and verifies when every row holds its key, as rows stored before migration 050 do', async () => {
    const before = await readAll();
    expect((await verify()).intact).toBe(true);
    const filled = await s.w.pool.query(`update auditql.changes c set key = ${storedKeySql('c')} where c.key is null`);
    expect(filled.rowCount).toBeGreaterThan(5);
    expect(await readAll()).toEqual(before);
    const report = await verify();
    expect([report.intact, report.divergenceCount]).toEqual([true, 0]);
    await s.w.pool.query(`update auditql.changes c set key = null where c.position like 'c%' or c.position in ('k0', 'k4')`);
  });

  it('a derived key is still covered by the ledger: editing the image it comes from is found', async () => {
    expect((await verify()).intact).toBe(true);
    await s.w.pool.query(`update auditql.changes set after = jsonb_set(after, '{id}', '70') where position = 'k0'`);
    const report = await verify();
    expect(report.intact).toBe(false);
    expect(report.divergenceCount).toBeGreaterThan(0);
  });
});
