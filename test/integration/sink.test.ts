import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { change, activity, type ChangeEvent } from '../../src/model/events.js';
import { ErrorCode } from '../../src/errors.js';

let w: TestWarehouse;
beforeAll(async () => { w = await freshWarehouse(); });
afterAll(async () => { await w.destroy(); });

const mk = (position: string, committedAt: Date | null, id = 1): ChangeEvent =>
  change({
    format: 'debezium', position, operation: 'UPDATE', database: 'shop', schema: 'public', table: 'customers',
    key: { id }, keySource: 'RECORD_KEY', before: { id, email: 'a@x' }, after: { id, email: 'b@x' },
    beforeComplete: true, unknownBefore: [], unknownAfter: [], changedFields: ['email'], txId: '42', txOrder: 1,
    committedAt, committedAtSource: committedAt ? 'SOURCE' : 'UNKNOWN',
    origin: { server: 'pg1', connection: null, user: null }, extra: { lsn: 1 },
  });

describe('WarehouseSink', () => {
  it('stores a batch, its dead letters and its checkpoint in one transaction, and absorbs redelivery', async () => {
    const sink = new WarehouseSink(w.pool);
    const batch = {
      source: 's1',
      events: [mk('p1', new Date('2026-11-20T10:00:00Z')), mk('p2', null, 2)],
      deadLetters: [{ position: 'p3', format: 'debezium', code: ErrorCode.UNDECODABLE_RECORD, message: 'bad', value: Buffer.from('{nope') }],
      checkpoints: [{ stream: 'file:/x', position: '3' }],
    };
    const first = await sink.write(batch);
    expect(first).toMatchObject({ stored: 2, duplicates: 0, deadLettered: 1 });
    const again = await sink.write(batch);
    expect(again).toMatchObject({ stored: 0, duplicates: 2, deadLettered: 0 });

    const rows = await w.pool.query('select position, part_at, committed_at, key_text, changed_fields, (select relname from pg_class where oid = c.tableoid) as part from auditql.changes c order by seq');
    expect(rows.rows.map((r) => [r.position, r.part])).toEqual([
      ['p1', 'changes_p20261120'],
      ['p2', 'changes_default'],
    ]);
    expect(rows.rows[1].committed_at).toBeNull();
    expect(rows.rows[0].changed_fields).toEqual(['email']);
    const dl = await w.pool.query('select error_code, raw_value from auditql.dead_letters');
    expect(dl.rows).toEqual([{ error_code: 'AUDITQL_UNDECODABLE_RECORD', raw_value: Buffer.from('{nope') }]);
    const cp = await w.pool.query('select stream, position from auditql.checkpoints where source = $1', ['s1']);
    expect(cp.rows).toEqual([{ stream: 'file:/x', position: '3' }]);
  });

  it('rolls the whole batch back when any part fails', async () => {
    const sink = new WarehouseSink(w.pool);
    const before = await w.pool.query('select count(*)::int as n from auditql.changes');
    const broken = activity({
      format: 'das', position: 'a1', class: 'READ', rawClass: 'READ', command: 'SELECT', commandText: 'select 1',
      objectType: null, objectName: null, database: null, dbUser: 'bob', remoteHost: null, remotePort: null,
      clientApplication: null, sessionId: null, pid: null, statementId: null, substatementId: null,
      rowCount: Number.NaN, // not a bigint: the insert fails
      exitCode: null, errorMessage: null, txId: null, startedAt: null, occurredAt: new Date(), server: null,
      parameters: null, extra: {},
    });
    await expect(sink.write({ source: 's2', events: [mk('q1', new Date()), broken], deadLetters: [], checkpoints: [{ stream: 'x', position: '1' }] })).rejects.toThrow();
    const after = await w.pool.query('select count(*)::int as n from auditql.changes');
    expect(after.rows[0].n).toBe(before.rows[0].n);
    const cp = await w.pool.query('select count(*)::int as n from auditql.checkpoints where source = $1', ['s2']);
    expect(cp.rows[0].n).toBe(0);
  });

  it('allocates feed sequence numbers in commit order: a reader following seq never skips a slow writer', async () => {
    // Writer A allocates its seqs first, then holds its transaction open; writer B starts meanwhile. If seqs
    // were not allocated in commit order, B would commit higher seqs first and a reader walking
    // `seq > cursor` would move past A's rows before they became visible.
    const slow = new WarehouseSink(w.pool, async (client) => { await client.query('select pg_sleep(0.4)'); });
    const fast = new WarehouseSink(w.pool);
    const start = (await w.pool.query(`select coalesce(max(seq), 0)::text as s from auditql.changes`)).rows[0].s as string;
    const seen: string[] = [];
    let cursor = start;
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        const r = await w.pool.query(`select c.seq::text as seq, c.position from auditql.changes c where c.seq > $1 order by c.seq`, [cursor]);
        for (const row of r.rows) { seen.push(row.position); cursor = row.seq; }
        await new Promise((res) => setTimeout(res, 5));
      }
    })();
    const a = slow.write({ source: 'ord', events: [mk('A1', new Date(), 1), mk('A2', new Date(), 2)], deadLetters: [], checkpoints: [] });
    await new Promise((res) => setTimeout(res, 100));
    const b = fast.write({ source: 'ord', events: [mk('B1', new Date(), 3)], deadLetters: [], checkpoints: [] });
    await Promise.all([a, b]);
    await new Promise((res) => setTimeout(res, 50));
    stop = true;
    await reader;
    expect(seen).toEqual(['A1', 'A2', 'B1']);
  });
});
