/**
 * The concurrent-indexes mode on the TimescaleDB path (migrations/README.md "Index builds that do not block
 * ingest"), against TimescaleDB in PGlite (test/helpers/timescale.ts): migration 049 on hypertables, with
 * and without chunks. What PGlite cannot show: it is one backend, so nothing here runs side by side; it
 * fails `timescaledb.transaction_per_chunk` (the build used on a real TimescaleDB with chunks), so here the
 * runner builds in one short transaction; and the invalid hypertable index an interrupted build leaves
 * cannot be made there (neither that build nor an UPDATE of pg_index leaves a catalog PGlite can go on
 * with), so the drop-and-rebuild of it is not exercised.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimescale, type TimescaleServer } from '../helpers/timescale.js';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { migrate, pendingMigrations } from '../../src/warehouse/migrate.js';

const FILE = '049_activity_session_partial.sql';

let tsdb: TimescaleServer;
let w: WarehouseDb;
beforeAll(async () => {
  tsdb = await startTimescale();
  w = openWarehouse(tsdb.url, { max: 1 });
}, 120_000);
afterAll(async () => {
  await w?.close();
  await tsdb?.stop();
});

const valid = async (index: string) =>
  (await w.pool.query<{ v: boolean }>('select indisvalid as v from pg_index where indexrelid = to_regclass($1)', [index])).rows[0]?.v ?? null;

/** Per chunk of activity: its index of that name's suffix, with validity and predicate (null: none). */
async function perChunk(suffix: string) {
  const r = await w.pool.query<{ chunk: string; valid: boolean | null; predicate: string | null }>(
    `select ch::text as chunk, x.indisvalid as valid, pg_get_expr(x.indpred, x.indrelid) as predicate
       from show_chunks('auditql.activity') ch
       left join (pg_index x join pg_class ci on ci.oid = x.indexrelid) on x.indrelid = ch and ci.relname like '%' || $1
      order by 1`, [suffix]);
  return r.rows;
}

const sessionRows = async () =>
  (await w.pool.query(`select position, session_id from auditql.activity where server = 'srv1' and session_id = 's3' order by position`)).rows;

describe('049 on hypertables', () => {
  it('applies on a new warehouse (no chunk yet); later chunks get the partial index, and not the old one', async () => {
    expect((await migrate(w.pool, { lockTimeoutMs: 100 })).timescaledb).toBe(true);
    expect(await valid('auditql.activity_session_partial')).toBe(true);
    expect(await valid('auditql.activity_session')).toBeNull();
    await w.pool.query(`insert into auditql.activity (seq, source, position, part_at, occurred_at, format, class, server, session_id)
      select auditql.next_seq(), 'seed', 'p' || g, t, t, 'das', 'WRITE', 'srv' || (g % 2), case when g % 3 > 0 then 's' || (g % 7) end
        from generate_series(1, 300) g, lateral (select timestamptz '2026-11-20T00:00Z' + (g % 3) * interval '1 day' + g * interval '1 minute' as t) x`);
    const chunks = await perChunk('_activity_session_partial');
    expect(chunks.length).toBe(3);
    for (const c of chunks) expect(c, c.chunk).toMatchObject({ valid: true, predicate: '(session_id IS NOT NULL)' });
    expect((await perChunk('_activity_session')).every((c) => c.valid === null)).toBe(true);
  });

  it('on a warehouse with chunks, builds it on every chunk and drops the old one', async () => {
    const answer = await sessionRows();
    expect(answer.length).toBeGreaterThan(0);
    // The warehouse as it was before 049.
    await w.pool.query('DROP INDEX auditql.activity_session_partial');
    await w.pool.query('CREATE INDEX activity_session ON auditql.activity (server, session_id, part_at)');
    await w.pool.query('DELETE FROM auditql.schema_migrations WHERE name = $1', [FILE]);
    for (const c of await perChunk('_activity_session')) expect(c.valid, c.chunk).toBe(true);
    expect(await pendingMigrations(w.pool)).toEqual([FILE]);

    expect(await migrate(w.pool, { lockTimeoutMs: 100 })).toMatchObject({ applied: [FILE] });
    expect(await valid('auditql.activity_session_partial')).toBe(true);
    const def = await w.pool.query<{ d: string }>(`select pg_get_indexdef('auditql.activity_session_partial'::regclass) as d`);
    expect(def.rows[0]!.d).toMatch(/\(server, session_id, part_at\) WHERE \(session_id IS NOT NULL\)$/);
    for (const c of await perChunk('_activity_session_partial')) expect(c, c.chunk).toMatchObject({ valid: true, predicate: '(session_id IS NOT NULL)' });
    expect(await valid('auditql.activity_session')).toBeNull();
    expect(await pendingMigrations(w.pool)).toEqual([]);
    expect(await sessionRows()).toEqual(answer);
  });
});
