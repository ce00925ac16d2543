/**
 * A ledger follower that fails after a batch committed (docs/ledger.md "Appending"): the batch still
 * succeeds (its rows are stored), the failure is logged without a row's values and counted, and a later
 * follower — the retry timer, the next batch — logs the rows, so verify passes again; a seal that cannot
 * catch up fails the run clearly. The failure is real: a CHECK constraint the owner adds to
 * auditql.ledger_state (NOT VALID, so only the follower's UPDATE meets it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { settleAttribution } from '../../src/warehouse/attribution.js';
import { Sealer } from '../../src/warehouse/ledger/sealer.js';
import { ledgerFollowerStats } from '../../src/warehouse/ledger/sink-ledger.js';
import { verifyLedger } from '../../src/warehouse/ledger/verify.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { mkChange, NEW_DAY, ORIGIN } from '../helpers/ledger-seed.js';
import { generateSigner } from '../../src/warehouse/ledger/signed-note.js';
import { until } from '../helpers/until.js';

let w: TestWarehouse | null = null;
afterEach(async () => { await w?.destroy(); w = null; });

const BLOCK = 'ALTER TABLE auditql.ledger_state ADD CONSTRAINT test_block CHECK (false) NOT VALID';
const UNBLOCK = 'ALTER TABLE auditql.ledger_state DROP CONSTRAINT test_block';

async function setup(retryMs: number) {
  w = await freshWarehouse();
  const signer = generateSigner(ORIGIN);
  const logs: string[] = [];
  const sealer = new Sealer(w.pool, { signer, origin: ORIGIN, everyRows: 1_000, everyMs: 3_600_000 });
  const sink = new WarehouseSink(w.pool, settleAttribution, sealer, { log: (m) => logs.push(m), retryMs });
  const write = (events: ReturnType<typeof mkChange>[]) => sink.write({ source: 's', events, deadLetters: [], checkpoints: [] });
  const leaves = async () => Number((await w!.pool.query('select count(*) as n from auditql.ledger_leaves')).rows[0].n);
  const rows = async () => Number((await w!.pool.query('select (select count(*) from auditql.changes) + (select count(*) from auditql.attributions) as n')).rows[0].n);
  return { w, signer, logs, sink, write, leaves, rows };
}

describe('a failed ledger append after COMMIT', () => {
  it('does not fail the batch; it is logged and counted, and the retry timer and the next batch log the rows', async () => {
    const t = await setup(200);
    await t.write([mkChange('c1', NEW_DAY, 1)]);
    await t.sink.ledger.settled();
    const before = ledgerFollowerStats.failed;
    await t.w.pool.query(BLOCK);
    const r = await t.write([mkChange('c2', NEW_DAY, 2, 'secret-value@x')]);
    expect(r.stored).toBe(1);
    await t.sink.ledger.settled();
    expect(ledgerFollowerStats.failed).toBeGreaterThan(before);
    const warning = t.logs.find((m) => m.includes('follower failed'));
    expect(warning).toContain('SQLSTATE 23514');
    expect(t.logs.join('\n')).not.toContain('secret-value');
    const behind = await verifyLedger(t.w.pool, { trusted: [t.signer] });
    expect(behind.divergences.map((d) => d.kind)).toContain('ROW_ADDED');

    // the retry timer catches up once the cause is gone
    await t.w.pool.query(UNBLOCK);
    await until('the retry to log the rows', async () => (await t.leaves()) === (await t.rows()));
    await until('the catch-up to be logged', () => t.logs.some((m) => m.includes('caught up')));
    expect((await verifyLedger(t.w.pool, { trusted: [t.signer] })).divergences).toEqual([]);

    // … and so does a follower after the next batch (or the retry, whichever runs first)
    await t.w.pool.query(BLOCK);
    await t.write([mkChange('c3', NEW_DAY, 3)]);
    await t.sink.ledger.settled();
    await t.w.pool.query(UNBLOCK);
    await t.write([mkChange('c4', NEW_DAY, 4)]);
    await t.sink.ledger.settled();
    expect(await t.leaves()).toBe(await t.rows());
    await t.sink.ledger.seal();
    const r2 = await verifyLedger(t.w.pool, { trusted: [t.signer] });
    expect(r2.divergences).toEqual([]);
    expect(r2.unsealed).toBe(0);
  });

  it('fails the final seal clearly when the log cannot catch up', async () => {
    const t = await setup(3_600_000);
    await t.w.pool.query(BLOCK);
    await t.write([mkChange('c1', NEW_DAY, 1)]);
    await expect(t.sink.ledger.seal()).rejects.toThrow(/ledger could not log the rows stored \(SQLSTATE 23514\)/);
    await t.w.pool.query(UNBLOCK);
    expect(await t.sink.ledger.seal()).not.toBeNull();
    expect((await verifyLedger(t.w.pool, { trusted: [t.signer] })).intact).toBe(true);
  });
});
