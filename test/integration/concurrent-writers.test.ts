/**
 * Writers side by side (docs/warehouse.md "Ordering: `seq`"): sinks of different streams commit
 * concurrently, and the feed's watermark (`feedHead`) keeps every reader exact — each row delivered once,
 * in one order that replay with `after` repeats — while a killed writer loses and duplicates nothing,
 * attribution across streams settles, and the ledger logs every row in seq order.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { WarehouseSink, type AfterInsert } from '../../src/warehouse/sink.js';
import { settleAttribution } from '../../src/warehouse/attribution.js';
import { feedChanges, feedHead } from '../../src/warehouse/queries/feed.js';
import { verifyLedger } from '../../src/warehouse/ledger/verify.js';
import { warehouseGauges } from '../../src/warehouse/queries/operations.js';
import { ATTRIBUTION_LOCK } from '../../src/warehouse/locks.js';
import { activity, change, type AuditEvent, type ChangeEvent } from '../../src/model/events.js';

let w: TestWarehouse;
beforeAll(async () => { w = await freshWarehouse(); });
afterAll(async () => { await w?.destroy(); });

const T0 = new Date('2026-11-20T10:00:00.000Z');

function row(pos: string, o: { server?: string; txId?: string; id?: number } = {}): ChangeEvent {
  const id = o.id ?? 1;
  return change({
    format: 'pgoutput', position: pos, operation: 'UPDATE', database: 'shop', schema: 'public', table: 'accounts',
    key: { id }, keySource: 'SOURCE_PK', before: null, after: { id, note: pos }, beforeComplete: false,
    unknownBefore: [], unknownAfter: [], changedFields: ['note'], txId: o.txId ?? null, txOrder: 1,
    committedAt: T0, committedAtSource: 'SOURCE', origin: { server: o.server ?? 'pg1', connection: null, user: null }, extra: {},
  });
}

const batch = (source: string, events: AuditEvent[], stream = 's', position = '1') =>
  ({ source, events, deadLetters: [], checkpoints: [{ stream, position }] });

/** A gate a writer's transaction waits at (after its inserts), and the signal that it got there. */
function gate() {
  let open!: () => void;
  let reached!: (x: { pid: number; seqs: readonly string[] }) => void;
  const opened = new Promise<void>((r) => { open = r; });
  const arrived = new Promise<{ pid: number; seqs: readonly string[] }>((r) => { reached = r; });
  const hook: AfterInsert = async (client, seqs) => {
    const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    reached({ pid, seqs: seqs.change });
    await opened;
  };
  return { hook, open, arrived };
}

/** Fails (instead of hanging) when `p` does not settle in `ms`: a bound, not a synchronisation. */
const within = <T>(ms: number, what: string, p: Promise<T>): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);

/** Follows the feed like a subscriber: head, then the slice up to it, in pages of `page`. */
function follower(page: number) {
  const seen: { seq: string; position: string }[] = [];
  let cursor = '0';
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const upto = await feedHead(w.db);
      for (;;) {
        const rows = await feedChanges(w.db, {}, { after: cursor, upto, limit: page });
        for (const r of rows) { seen.push({ seq: r.seq, position: r.position }); cursor = r.seq; }
        if (rows.length < page) break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return { seen, stop: async () => { stop = true; await done; } };
}

async function waitFor(what: string, cond: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: never happened`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const total = async () => (await w.pool.query<{ n: number }>('select count(*)::int as n from auditql.changes')).rows[0]!.n;

describe('writers side by side', () => {
  it('lets writer B commit while writer A holds its transaction open, and keeps the head below A until A commits', async () => {
    const g = gate();
    const a = new WarehouseSink(w.pool, g.hook).write(batch('overlap-a', [row('a1'), row('a2')]));
    const { seqs: aSeqs } = await g.arrived;
    // B, on another stream, must commit while A is still open: with one warehouse-wide lock it would wait for A.
    const b = await within(5000, 'writer B committing beside an open writer A', new WarehouseSink(w.pool).write(batch('overlap-b', [row('b1')])));
    expect(b.stored).toBe(1);
    const aMin = BigInt(aSeqs[0]!);
    expect(BigInt(b.seqs.change[0]!)).toBeGreaterThan(aMin);
    const held = BigInt(await feedHead(w.db));
    expect(held).toBeLessThan(aMin);
    // B's row is committed, but a reader following the feed does not see it yet: it would skip A's rows.
    expect(await feedChanges(w.db, {}, { after: '0', upto: String(held), limit: 100 })).toEqual([]);
    const gauges = await warehouseGauges(w.db);
    expect(BigInt(gauges.allocated) - BigInt(gauges.watermark)).toBeGreaterThanOrEqual(3n);
    expect(gauges.oldestWriterSeconds).not.toBe(0);
    g.open();
    await a;
    const head = BigInt(await feedHead(w.db));
    expect(head).toBeGreaterThanOrEqual(BigInt(b.seqs.change[0]!));
    const rows = await feedChanges(w.db, {}, { after: '0', upto: String(head), limit: 100 });
    expect(rows.map((r) => r.position)).toEqual(['a1', 'a2', 'b1']);
    expect((await warehouseGauges(w.db)).oldestWriterSeconds).toBe(0);
  });

  it('N writers × M batches with two followers: every row once, one order, equal on replay with `after`; the ledger logs them all', async () => {
    const before = await total();
    const N = 4, M = 12, PER = 15;
    const f1 = follower(7);
    const f2 = follower(500);
    await Promise.all(Array.from({ length: N }, async (_, n) => {
      const sink = new WarehouseSink(w.pool, settleAttribution);
      for (let m = 0; m < M; m++) {
        const events = Array.from({ length: PER }, (_, i) => row(`w${n}-${m}-${i}`, { id: i }));
        const r = await sink.write(batch(`writer-${n}`, events, 's', String(m)));
        expect(r.stored).toBe(PER);
      }
      await sink.ledger.settled(); // its follower trails the batches
    }));
    const expected = before + N * M * PER;
    await waitFor('both followers caught up', async () => f1.seen.length === expected && f2.seen.length === expected);
    await f1.stop();
    await f2.stop();
    for (const f of [f1, f2]) {
      expect(new Set(f.seen.map((r) => r.position)).size).toBe(expected);
      const seqs = f.seen.map((r) => BigInt(r.seq));
      expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
    }
    expect(f2.seen).toEqual(f1.seen);
    // replay from a cursor in the middle gives exactly the tail
    const mid = f1.seen[Math.floor(expected / 2)]!;
    const head = await feedHead(w.db);
    const tail = await feedChanges(w.db, {}, { after: mid.seq, upto: head, limit: expected });
    expect(tail.map((r) => r.position)).toEqual(f1.seen.slice(Math.floor(expected / 2) + 1).map((r) => r.position));
    // every stored row is a leaf, in seq order, and the log recomputes
    const leaves = await w.pool.query<{ n: number; ordered: boolean }>(
      `select count(*)::int as n, bool_and(seq > prev) is not false as ordered
       from (select seq, lag(seq, 1, 0::int8) over (order by leaf_index) as prev from auditql.ledger_leaves) x`);
    const rows = await w.pool.query<{ n: number }>(`select (select count(*) from auditql.changes) + (select count(*) from auditql.attributions) as n`);
    expect(leaves.rows[0]).toEqual({ n: Number(rows.rows[0]!.n), ordered: true });
    const report = await verifyLedger(w.pool, { trusted: [] });
    expect(report.divergences).toEqual([]);
    expect(report.intact).toBe(true);
  });

  it('a writer killed mid-batch loses and duplicates nothing: its retry stores the batch once, and followers see each row once', async () => {
    const before = await total();
    const f = follower(50);
    const g = gate();
    const killed = new WarehouseSink(w.pool, g.hook).write(batch('killed', [row('k1'), row('k2'), row('k3')], 's', '3'));
    const { pid } = await g.arrived;
    const other = await new WarehouseSink(w.pool).write(batch('bystander', [row('x1')]));
    expect(other.stored).toBe(1);
    const admin = new pg.Client({ connectionString: w.url });
    await admin.connect();
    try {
      expect((await admin.query('select pg_terminate_backend($1) as ok', [pid])).rows[0].ok).toBe(true);
    } finally {
      await admin.end();
    }
    g.open(); // its next statement meets the terminated connection
    await expect(killed).rejects.toThrow();
    // the source was not acknowledged, so it delivers the batch again
    const retry = await new WarehouseSink(w.pool).write(batch('killed', [row('k1'), row('k2'), row('k3')], 's', '3'));
    expect(retry).toMatchObject({ stored: 3, duplicates: 0 });
    const again = await new WarehouseSink(w.pool).write(batch('killed', [row('k1'), row('k2'), row('k3')], 's', '3'));
    expect(again).toMatchObject({ stored: 0, duplicates: 3 });
    await waitFor('the follower caught up', async () => f.seen.length === before + 4);
    await f.stop();
    const mine = f.seen.map((r) => r.position).filter((p) => /^(k\d|x1)$/.test(p));
    expect(mine).toEqual(['x1', 'k1', 'k2', 'k3']);
    const cp = await w.pool.query('select position from auditql.checkpoints where source = $1', ['killed']);
    expect(cp.rows).toEqual([{ position: '3' }]);
  });

  it('settles attribution across two concurrent streams: the change in one, its activity in the other', async () => {
    const server = 'cross-1';
    const g = gate();
    // A (changes) settles first, holding ATTRIBUTION_LOCK, while B (activity) has inserted and waits for it:
    // A cannot see B's rows, so B, settling second, must see A's.
    const a = new WarehouseSink(w.pool, async (client, seqs) => { await g.hook(client, seqs); await settleAttribution(client, seqs); })
      .write(batch('cross-changes', [row('cx1', { server, txId: '900' })]));
    await g.arrived;
    const act = activity({
      format: 'pgaudit', position: 'ca1', class: 'WRITE', rawClass: 'WRITE', command: 'UPDATE', commandText: 'update …',
      objectType: 'TABLE', objectName: 'public.accounts', database: 'shop', dbUser: 'carol', remoteHost: '10.0.0.9', remotePort: '5000',
      clientApplication: 'billing-api', sessionId: 'sess-9', pid: '4243', statementId: '1', substatementId: '1', rowCount: null,
      exitCode: '00000', errorMessage: null, txId: '900', startedAt: null, occurredAt: new Date(T0.getTime() - 50), server,
      parameters: null, extra: { auditType: 'SESSION' },
    });
    const b = new WarehouseSink(w.pool, settleAttribution).write(batch('cross-activity', [act]));
    await waitFor('writer B waiting for ATTRIBUTION_LOCK', async () => (await w.pool.query(
      `select 1 from pg_locks where locktype = 'advisory' and not granted and objsubid = 1 and objid = $1`, [ATTRIBUTION_LOCK])).rowCount === 1);
    g.open();
    await Promise.all([a, b]);
    const ev = await w.pool.query(
      `select at.evidence, at.db_user from auditql.attributions at join auditql.changes c on c.seq = at.change_seq where c.position = 'cx1'`);
    expect(ev.rows).toEqual([{ evidence: 'ACTIVITY_TX', db_user: 'carol' }]);
  });
});
