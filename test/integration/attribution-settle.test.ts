/**
 * Attribution settlement rules against a real warehouse (src/warehouse/attribution/): every rule, in every
 * arrival order, idempotent, never guessing. Events are built with the model factories in the shapes the
 * decoders produce (pgoutput changes and context, pgAudit and DAS activity, Maxwell changes) and written
 * through the real sink, whose AfterInsert settles them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { WarehouseSink } from '../../src/warehouse/sink.js';
import { settleAttribution, settleEvidence } from '../../src/warehouse/attribution.js';
import { activity, change, context, type ActivityEvent, type AuditEvent, type ChangeEvent, type ContextEvent } from '../../src/model/events.js';

let w: TestWarehouse;
let sink: WarehouseSink;
beforeAll(async () => {
  w = await freshWarehouse();
  sink = new WarehouseSink(w.pool, settleAttribution);
});
afterAll(async () => { await w?.destroy(); });

const T0 = new Date('2026-11-20T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function pgChange(o: { pos: string; server: string | null; txId: string | null; table?: string; id?: number; at?: Date | null; connection?: string | null; format?: ChangeEvent['format']; user?: string | null; database?: string | null; schema?: string | null; extra?: ChangeEvent['extra'] }): ChangeEvent {
  const id = o.id ?? 1;
  return change({
    format: o.format ?? 'pgoutput', position: o.pos, operation: 'UPDATE', database: o.database === undefined ? 'shop' : o.database,
    schema: o.schema === undefined ? 'public' : o.schema, table: o.table ?? 'accounts',
    key: { id }, keySource: 'SOURCE_PK', before: null, after: { id, note: o.pos }, beforeComplete: false,
    unknownBefore: [], unknownAfter: [], changedFields: ['note'], txId: o.txId, txOrder: 1,
    committedAt: o.at === undefined ? T0 : o.at, committedAtSource: 'SOURCE',
    origin: { server: o.server, connection: o.connection ?? null, user: o.user ?? null }, extra: o.extra ?? {},
  });
}

function audit(o: { pos: string; server: string | null; txId: string | null; user: string | null; object?: string | null; at?: Date | null; session?: string; pid?: string; vxid?: string; cls?: ActivityEvent['class']; format?: ActivityEvent['format']; extra?: ActivityEvent['extra']; sessionId?: string | null; database?: string | null }): ActivityEvent {
  const extra = o.extra ?? (o.vxid ? { auditType: 'SESSION', vxid: o.vxid } : { auditType: 'SESSION' });
  return activity({
    format: o.format ?? 'pgaudit', position: o.pos, class: o.cls ?? 'WRITE', rawClass: o.cls ?? 'WRITE', command: 'UPDATE',
    commandText: 'update …', objectType: 'TABLE', objectName: o.object === undefined ? 'public.accounts' : o.object,
    database: o.database === undefined ? 'shop' : o.database, dbUser: o.user, remoteHost: '10.0.0.7', remotePort: '5000',
    clientApplication: 'billing-api', sessionId: o.sessionId === undefined ? (o.session ?? 'sess-1') : o.sessionId, pid: o.pid ?? '4242',
    statementId: '1', substatementId: '1', rowCount: null, exitCode: '00000', errorMessage: null, txId: o.txId,
    startedAt: null, occurredAt: o.at === undefined ? at(-50) : o.at, server: o.server, parameters: null, extra,
  });
}

function ctx(o: { pos: string; server: string | null; txId: string | null; user: string | null; at?: Date }): ContextEvent {
  return context({
    format: 'pgoutput', position: o.pos, txId: o.txId, server: o.server, prefix: 'auditql', transactional: true,
    content: o.user === null ? { requestId: o.pos } : { user: o.user, requestId: o.pos }, appUser: o.user, occurredAt: o.at ?? T0,
  });
}

async function write(source: string, events: AuditEvent[]) {
  return sink.write({ source, events, deadLetters: [], checkpoints: [] });
}

interface Row { position: string; evidence: string; confidence: string; db_user: string | null; app_user: string | null; activity: string | null; context: string | null; detail: Record<string, unknown> }

/** Every attribution row of the changes at these positions, as comparable facts (no seqs). */
async function evidenceOf(positions: string[]): Promise<Row[]> {
  const r = await w.pool.query<Row>(
    `select c.position, at.evidence, at.confidence, at.db_user, at.app_user, a.position as activity, x.position as context, at.detail
     from auditql.attributions at join auditql.changes c on c.seq = at.change_seq
     left join auditql.activity a on a.seq = at.activity_seq left join auditql.contexts x on x.seq = at.context_seq
     where c.position = any($1) order by c.position, at.evidence, a.position, x.position`, [positions]);
  return r.rows;
}

const facts = (rows: Row[]) => rows.map(({ detail: _d, ...rest }) => rest);

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('attribution settlement', () => {
  it('APP_CONTEXT and ACTIVITY_TX settle the same in every arrival order (6 orders, 3 sources)', async () => {
    const results: unknown[] = [];
    for (const [i, order] of permutations(['changes', 'context', 'activity']).entries()) {
      const server = `perm-${i}`;
      const p = (s: string) => `${server}:${s}`;
      const batches: Record<string, AuditEvent[]> = {
        changes: [pgChange({ pos: p('c1'), server, txId: '700' }), pgChange({ pos: p('c2'), server, txId: '700', table: 'orders', id: 9 })],
        context: [ctx({ pos: p('x1'), server, txId: '700', user: 'alice@example.com' })],
        activity: [
          audit({ pos: p('a1'), server, txId: '700', user: 'alice', object: 'public.accounts' }),
          audit({ pos: p('a2'), server, txId: '700', user: 'alice', object: 'public.orders' }),
          audit({ pos: p('a3'), server, txId: '701', user: 'bob' }), // another transaction: not evidence
        ],
      };
      for (const b of order) await write(`src-${b}`, batches[b]!);
      const rows = facts(await evidenceOf([p('c1'), p('c2')]));
      results.push(rows.map((r) => ({ ...r, position: r.position.slice(server.length + 1), activity: r.activity?.slice(server.length + 1) ?? null, context: r.context?.slice(server.length + 1) ?? null })));
    }
    expect(results[0]).toEqual([
      { position: 'c1', evidence: 'ACTIVITY_TX', confidence: 'EXACT', db_user: 'alice', app_user: null, activity: 'a1', context: null },
      { position: 'c1', evidence: 'APP_CONTEXT', confidence: 'EXACT', db_user: null, app_user: 'alice@example.com', activity: null, context: 'x1' },
      { position: 'c2', evidence: 'ACTIVITY_TX', confidence: 'EXACT', db_user: 'alice', app_user: null, activity: 'a2', context: null },
      { position: 'c2', evidence: 'APP_CONTEXT', confidence: 'EXACT', db_user: null, app_user: 'alice@example.com', activity: null, context: 'x1' },
    ]);
    for (const r of results) expect(r).toEqual(results[0]);
  });

  it('records whether evidence came with its change or later (what Subscription.actorUpdated follows)', async () => {
    const server = 'late-1';
    const p = (x: string) => `${server}:${x}`;
    await write('src-late', [pgChange({ pos: p('c1'), server, txId: '900' }), ctx({ pos: p('x1'), server, txId: '900', user: 'ann@example.com' })]);
    await write('src-late', [audit({ pos: p('a1'), server, txId: '900', user: 'ann' })]); // later: an update
    await write('src-late', [audit({ pos: p('a0'), server, txId: '901', user: 'ben' })]); // activity first …
    await write('src-late', [pgChange({ pos: p('c2'), server, txId: '901', id: 2 })]); // … settled with its change
    await write('src-late', [pgChange({ pos: p('c3'), server, txId: '902', id: 3 })]);
    // one batch with a change of its own and evidence for an earlier one
    await write('src-late', [
      pgChange({ pos: p('c4'), server, txId: '903', id: 4 }),
      audit({ pos: p('a3'), server, txId: '902', user: 'cat' }),
      audit({ pos: p('a4'), server, txId: '903', user: 'dan' }),
    ]);
    await write('src-late', [pgChange({ pos: p('c5'), server, txId: null, id: 5, user: 'oracle_user' })]);
    const r = await w.pool.query<{ position: string; evidence: string; settled_with_change: boolean | null }>(
      `select c.position, at.evidence, at.settled_with_change from auditql.attributions at join auditql.changes c on c.seq = at.change_seq
       where c.source = 'src-late' order by c.position, at.evidence`);
    expect(r.rows.map((x) => [x.position.slice(server.length + 1), x.evidence, x.settled_with_change])).toEqual([
      ['c1', 'ACTIVITY_TX', false],
      ['c1', 'APP_CONTEXT', true],
      ['c2', 'ACTIVITY_TX', true],
      ['c3', 'ACTIVITY_TX', false],
      ['c4', 'ACTIVITY_TX', true],
      ['c5', 'SOURCE', true],
    ]);
  });

  it('a batch of changes alone still meets evidence stored before it: at a known time, of unknown time, or context', async () => {
    const server = 'pre-1';
    const p = (x: string) => `${server}:${x}`;
    await write('src-pre', [
      audit({ pos: p('a1'), server, txId: '950', user: 'gil' }),
      audit({ pos: p('a2'), server, txId: '951', user: 'hal', at: null }), // stored at the epoch
      ctx({ pos: p('x3'), server, txId: '952', user: 'ivy@example.com' }),
    ]);
    // changes-only batches of one transaction each, as the live capture writes them
    for (const [n, txId] of [[1, '950'], [2, '951'], [3, '952'], [4, '953']] as const) { // 953: nothing stored
      await write('src-pre', [pgChange({ pos: p(`c${n}`), server, txId, id: n })]);
    }
    const rows = facts(await evidenceOf([p('c1'), p('c2'), p('c3'), p('c4')]));
    expect(rows.map((r) => [r.position.slice(server.length + 1), r.evidence, r.db_user ?? r.app_user])).toEqual([
      ['c1', 'ACTIVITY_TX', 'gil'],
      ['c2', 'ACTIVITY_TX', 'hal'],
      ['c3', 'APP_CONTEXT', 'ivy@example.com'],
    ]);
  });

  it('is idempotent: settling everything again, or redelivering, adds nothing', async () => {
    const before = (await w.pool.query('select count(*)::int as n from auditql.attributions')).rows[0].n as number;
    const seqs = await w.pool.query<{ kind: string; seqs: string[] }>(
      `select 'change' as kind, array_agg(seq::text) as seqs from auditql.changes
       union all select 'activity', array_agg(seq::text) from auditql.activity
       union all select 'context', array_agg(seq::text) from auditql.contexts`);
    const by = Object.fromEntries(seqs.rows.map((r) => [r.kind, r.seqs ?? []]));
    const client = await w.pool.connect();
    try {
      const counts = await settleEvidence(client, { change: by.change!, activity: by.activity!, context: by.context! });
      expect(counts).toEqual({ appContext: 0, dbContext: 0, activityTx: 0, activitySession: 0, source: 0 });
    } finally {
      client.release();
    }
    const r = await write('src-activity', [audit({ pos: 'perm-0:a1', server: 'perm-0', txId: '700', user: 'alice' })]);
    expect(r.stored).toBe(0);
    expect((await w.pool.query('select count(*)::int as n from auditql.attributions')).rows[0].n).toBe(before);
  });

  it('ties a pgAudit entry logged before its transaction had an xid through the session and vxid, in either order', async () => {
    for (const [i, order] of [['first', 'second', 'changes'], ['changes', 'first', 'second'], ['second', 'changes', 'first'], ['changes', 'second', 'first']].entries()) {
      const server = `vxid-${i}`;
      const p = (s: string) => `${server}:${s}`;
      const batches: Record<string, AuditEvent[]> = {
        // pgaudit.log_rows = off: the first write of the transaction is logged with %x = 0
        first: [audit({ pos: p('a1'), server, txId: null, user: 'bob', object: 'public.accounts', vxid: '3/17', session: 's-bob' })],
        second: [
          audit({ pos: p('a2'), server, txId: '736', user: 'bob', object: 'public.orders', vxid: '3/17', session: 's-bob' }),
          // same vxid in another session (another backend lifetime): not the same transaction
          audit({ pos: p('a9'), server, txId: null, user: 'mallory', object: 'public.accounts', vxid: '3/17', session: 's-other' }),
        ],
        changes: [pgChange({ pos: p('c1'), server, txId: '736' }), pgChange({ pos: p('c2'), server, txId: '736', table: 'orders', id: 2 })],
      };
      for (const b of order) await write(`vx-${b}`, batches[b]!);
      const rows = await evidenceOf([p('c1'), p('c2')]);
      // Who: always bob, never mallory; the accounts change rests on the accounts statement once it is known.
      expect(rows.map((r) => [r.position.slice(server.length + 1), r.db_user])).toEqual(
        rows.map((r) => [r.position.slice(server.length + 1), 'bob']),
      );
      expect(rows.some((r) => r.position === p('c1') && r.activity === p('a1') && r.detail.via === 'VXID' && r.detail.sameTable === true)).toBe(true);
      expect(rows.some((r) => r.position === p('c2') && r.activity === p('a2') && r.detail.via === 'TX_ID')).toBe(true);
      expect(rows.every((r) => r.evidence === 'ACTIVITY_TX' && r.confidence === 'EXACT')).toBe(true);
    }
  });

  it('keeps conflicting evidence and never attributes without evidence', async () => {
    await write('conf', [
      pgChange({ pos: 'conf:c1', server: 'conf', txId: '900' }),
      pgChange({ pos: 'conf:c2', server: 'conf', txId: '901' }), // nothing names 901
      audit({ pos: 'conf:a1', server: 'conf', txId: '900', user: 'alice' }),
      audit({ pos: 'conf:a2', server: 'conf', txId: '900', user: 'bob' }),
      ctx({ pos: 'conf:x1', server: 'conf', txId: '900', user: 'ann@example.com' }),
      ctx({ pos: 'conf:x2', server: 'conf', txId: '900', user: 'ben@example.com' }),
    ]);
    const rows = facts(await evidenceOf(['conf:c1', 'conf:c2']));
    expect(rows.map((r) => [r.position, r.evidence, r.db_user ?? r.app_user])).toEqual([
      ['conf:c1', 'ACTIVITY_TX', 'alice'],
      ['conf:c1', 'ACTIVITY_TX', 'bob'],
      ['conf:c1', 'APP_CONTEXT', 'ann@example.com'],
      ['conf:c1', 'APP_CONTEXT', 'ben@example.com'],
    ]);
  });

  it('needs the same named server, a transaction id of the same numbering, and evidence within the window', async () => {
    await write('neg', [
      // null servers never meet, even with equal ids
      pgChange({ pos: 'neg:c-null', server: null, txId: '55' }),
      audit({ pos: 'neg:a-null', server: null, txId: '55', user: 'alice' }),
      // different servers
      pgChange({ pos: 'neg:c-s1', server: 's1', txId: '56' }),
      audit({ pos: 'neg:a-s2', server: 's2', txId: '56', user: 'alice' }),
      // Maxwell's binlog XID and Aurora MySQL's InnoDB transaction id are different numberings
      pgChange({ pos: 'neg:c-maxwell', server: 'm1', txId: '1845003', format: 'maxwell', database: 'test', schema: null, table: 'test1' }),
      audit({ pos: 'neg:a-das', server: 'm1', txId: '1845003', user: 'app', format: 'das', extra: { engine: 'mysql' }, object: 'test1', database: 'test' }),
      // a wrapped-around xid: the activity is two days from the commit
      pgChange({ pos: 'neg:c-wrap', server: 's1', txId: '57' }),
      audit({ pos: 'neg:a-wrap', server: 's1', txId: '57', user: 'alice', at: at(-2 * 86_400_000) }),
    ]);
    expect(await evidenceOf(['neg:c-null', 'neg:c-s1', 'neg:c-maxwell', 'neg:c-wrap'])).toEqual([]);
    // DAS PostgreSQL transaction ids are PostgreSQL xids: they do meet pgoutput's
    await write('neg', [
      pgChange({ pos: 'neg:c-daspg', server: 'aurora-pg', txId: '58' }),
      audit({ pos: 'neg:a-daspg', server: 'aurora-pg', txId: '58', user: 'carol', format: 'das', extra: { engine: 'postgresql' } }),
    ]);
    expect(facts(await evidenceOf(['neg:c-daspg'])).map((r) => [r.evidence, r.db_user])).toEqual([['ACTIVITY_TX', 'carol']]);
  });

  it('ACTIVITY_SESSION: same connection, same table, a write, within the window — PROBABLE, either order', async () => {
    const my = { format: 'maxwell' as const, database: 'shop', schema: null, table: 'orders' };
    const das = (pos: string, o: Partial<Parameters<typeof audit>[0]>) =>
      audit({ pos, server: 'mysql-1', txId: null, user: 'app', format: 'das', extra: { engine: 'mysql' }, object: 'orders', database: 'shop', sessionId: '77', pid: '2830', ...o });
    await write('sess-act', [
      das('sess:a-near', { at: at(800) }),
      das('sess:a-far', { at: at(6_000), user: 'late' }), // outside 5 s
      das('sess:a-other-table', { object: 'customers', user: 'other-table' }),
      das('sess:a-read', { cls: 'READ', user: 'reader' }),
      das('sess:a-other-conn', { sessionId: '78', user: 'other-conn' }),
      das('sess:a-pid', { sessionId: '99', pid: '77', user: 'mysql-pid' }), // a MySQL pid is the server process, not a connection
    ]);
    await write('sess-chg', [
      pgChange({ pos: 'sess:c1', server: 'mysql-1', txId: 'gtid:1', connection: '77', ...my }),
      pgChange({ pos: 'sess:c2', server: 'mysql-1', txId: 'gtid:2', connection: '77', ...my, at: at(3_000) }),
    ]);
    // the other order: activity after the change
    await write('sess-act', [das('sess:a-after', { at: at(3_500), user: 'app2' })]);
    const rows = await evidenceOf(['sess:c1', 'sess:c2']);
    expect(rows.map((r) => [r.position, r.evidence, r.confidence, r.db_user, r.activity])).toEqual([
      ['sess:c1', 'ACTIVITY_SESSION', 'PROBABLE', 'app2', 'sess:a-after'],
      ['sess:c1', 'ACTIVITY_SESSION', 'PROBABLE', 'app', 'sess:a-near'],
      ['sess:c2', 'ACTIVITY_SESSION', 'PROBABLE', 'app2', 'sess:a-after'],
      ['sess:c2', 'ACTIVITY_SESSION', 'PROBABLE', 'late', 'sess:a-far'],
      ['sess:c2', 'ACTIVITY_SESSION', 'PROBABLE', 'app', 'sess:a-near'],
    ]);
    expect(rows[1]!.detail).toMatchObject({ match: 'SESSION', connection: '77', deltaMs: 800, windowMs: 5000 });
    // A PostgreSQL backend pid is a connection: DAS PostgreSQL `pid` meets a change's connection.
    await write('sess-pg', [
      pgChange({ pos: 'sess:c-pg', server: 'aurora-pg', txId: null, connection: '18251' }),
      audit({ pos: 'sess:a-pg', server: 'aurora-pg', txId: null, user: 'alice', format: 'das', extra: { engine: 'postgresql' }, sessionId: '5ce5f7f0.474b', pid: '18251' }),
    ]);
    expect(facts(await evidenceOf(['sess:c-pg'])).map((r) => [r.evidence, r.db_user])).toEqual([['ACTIVITY_SESSION', 'alice']]);
  });

  it('SOURCE: the user the change carries', async () => {
    await write('src-user', [pgChange({ pos: 'src:c1', server: 'ora', txId: null, format: 'debezium', user: 'SCOTT', extra: { connector: 'oracle' } })]);
    expect(facts(await evidenceOf(['src:c1']))).toEqual([
      { position: 'src:c1', evidence: 'SOURCE', confidence: 'EXACT', db_user: 'SCOTT', app_user: null, activity: null, context: null },
    ]);
  });

  it('matches table names schema-qualified or not, quoted or not, in comma lists', async () => {
    const r = await w.pool.query(`select
        auditql.change_object_keys('shop', 'public', 'Orders') as pg,
        auditql.change_object_keys('test', null, 'test1') as my,
        auditql.activity_object_keys('public."Orders"', 'shop') as quoted,
        auditql.activity_object_keys('test1, test.t2,\`x\`', 'test') as list,
        auditql.activity_object_keys(null, 'shop') as none,
        auditql.activity_object_keys('orders', null) as bare`);
    expect(r.rows[0]).toEqual({
      pg: ['orders', 'public.orders', 'shop.orders', 'shop.public.orders'],
      my: ['test1', 'test.test1'],
      quoted: ['public.orders'],
      list: ['test.test1', 'test.t2', 'test.x'],
      none: [],
      bare: ['orders'],
    });
  });
});
