/**
 * The live capture does not get stuck on a record the warehouse refuses: it is dead-lettered with its
 * bytes, the changes after it (in the same sink batch and later) are stored, and the slot is confirmed past
 * it, so a restart does not bring it back. The refusal is PostgreSQL's own (a CHECK constraint on the
 * warehouse), as a value out of range would be.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase, freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { probeUntil } from '../helpers/until.js';
import { decodeContext } from '../../src/decoders/context.js';
import { silentLogger } from '../../src/log.js';
import { startPostgresCapture } from '../../src/cli/commands/ingest-postgres.js';

describe('postgres capture and a poison record', () => {
  let src: Awaited<ReturnType<typeof createDatabase>>;
  let w: TestWarehouse;
  let srcPool: pg.Pool;

  beforeAll(async () => {
    src = await createDatabase('src_poison');
    w = await freshWarehouse();
    srcPool = new pg.Pool({ connectionString: src.url, max: 2 });
    await srcPool.query(`create table items (id int primary key, name text); create publication poison_pub for table items`);
    await w.pool.query(`ALTER TABLE auditql.changes ADD CONSTRAINT test_poison CHECK (coalesce(after->>'name', '') <> 'poison')`);
  });

  afterAll(async () => {
    await srcPool?.end();
    await w?.destroy();
    await src?.drop();
  });

  const start = () => startPostgresCapture({
    pool: w.pool, sourceName: 'pg-poison', sourceUrl: src.url, publication: 'poison_pub', slot: 'poison_slot', createSlot: true,
    ctx: decodeContext(), log: silentLogger,
  });
  const stored = async () => (await w.pool.query<{ id: number }>(
    `select (after->>'id')::int as id from auditql.changes where source = 'pg-poison' order by seq`)).rows.map((r) => r.id);

  it('dead-letters the refused change, stores the rest, and moves the slot past it', async () => {
    const capture = await start();
    // One transaction: good, poison, good — one sink batch.
    await srcPool.query(`insert into items values (1, 'a'), (2, 'poison'), (3, 'c')`);
    await srcPool.query(`insert into items values (4, 'd')`);
    await probeUntil('rows after the poison stored', stored, (ids) => ids.includes(4));
    const summary = await capture.stop();
    expect(await stored()).toEqual([1, 3, 4]);
    expect(summary.deadLettered).toBe(1);
    const dl = await w.pool.query(`select error_code from auditql.dead_letters where source = 'pg-poison'`);
    expect(dl.rows).toEqual([{ error_code: 'AUDITQL_UNSTORABLE_RECORD' }]);

    // Restarted: the refused change does not come back, new ones flow.
    const again = await start();
    await srcPool.query(`insert into items values (5, 'e')`);
    await probeUntil('the next change stored', stored, (ids) => ids.includes(5));
    const s2 = await again.stop();
    expect(s2.deadLettered).toBe(0);
    expect(await stored()).toEqual([1, 3, 4, 5]);
  });
});
