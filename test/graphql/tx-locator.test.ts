/**
 * The transaction locator (docs/warehouse.md "Reading one transaction: the transaction locator"), over HTTP
 * against real API servers on one warehouse: `transaction(id)` with and without `server`, and pages of
 * changes and activity asking for each row's transaction with its counts, changes and activity, answer byte
 * for byte what a server reading every partition answers (the locator bypassed) — with transactions that
 * span days and servers, share an id across servers, have rows of unknown time (the default partition),
 * only activity, activity linked by attribution only, and batches delivered twice. A warehouse migrated
 * before the locator existed gets the same answers from migration 048's backfill; retention forgets the
 * days it dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { postGraphql } from './helpers.js';
import { attribute, mkActivity, mkChange, mkContext, store } from './seed.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { bypassTxLocator } from '../../src/warehouse/queries/tx-days.js';
import { dayOf, PartitionManager } from '../../src/warehouse/partitions.js';
import { migrate } from '../../src/warehouse/migrate.js';
import type { AuditEvent } from '../../src/model/events.js';

const DAY = 86_400_000;
const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
const daysAgo = (n: number, hour = 10) => new Date(today - n * DAY + hour * 3_600_000);

let w: TestWarehouse;
let scan: WarehouseDb;
let locating: ApiServer;
let scanning: ApiServer;

const TX_IDS = ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7', 't-null', 'only-activity', 'old', 'nothing'];

beforeAll(async () => {
  w = await freshWarehouse();
  const partitions = new PartitionManager(w.pool);
  const old = Array.from({ length: 60 }, (_, i) => dayOf(new Date(today - (45 + i) * DAY)));
  for (const t of ['changes', 'activity'] as const) await partitions.ensure(t, old);

  const batches: AuditEvent[][] = [[], [], []];
  for (let i = 0; i < 40; i++) {
    const txId = `t${i % 8}`;
    const server = i % 5 === 0 ? 'pg2' : 'pg1';
    const at = daysAgo(i % 6, 4 + (i % 12));
    batches[i % 3]!.push(
      mkChange({ key: { id: i }, before: { id: i, n: 0 }, after: { id: i, n: i }, txId, committedAt: at, origin: { server, connection: null, user: null } }),
      mkActivity({ txId, server, occurredAt: at, startedAt: null, dbUser: `u${i % 3}` }),
    );
  }
  batches[0]!.push(
    mkChange({ key: { id: 100 }, after: { id: 100 }, operation: 'INSERT', txId: 't0', committedAt: null }), // the epoch: default partition
    mkChange({ key: { id: 101 }, after: { id: 101 }, operation: 'INSERT', txId: 't-null', origin: { server: null, connection: null, user: null }, committedAt: daysAgo(2) }),
    mkActivity({ txId: 't-null', server: null, occurredAt: daysAgo(3), startedAt: null }),
    mkActivity({ txId: 'only-activity', server: 'pg1', occurredAt: daysAgo(1), startedAt: null }),
    mkChange({ key: { id: 102 }, after: { id: 102 }, operation: 'INSERT', txId: 'old', committedAt: daysAgo(80) }),
    mkChange({ key: { id: 103 }, after: { id: 103 }, operation: 'INSERT', txId: 'old', committedAt: new Date(today + 90 * DAY) }), // beyond the window: default partition
    mkContext({ txId: 't1', server: 'pg1', appUser: 'alice', content: { user: 'alice' }, occurredAt: daysAgo(1) }),
  );
  for (const b of batches) await store(w, b);
  await store(w, batches[1]!); // delivered twice: the sink drops the rows, the locator repeats what it knows
  // activity without a transaction id, linked by attribution to a change of t2
  const loose = await store(w, [mkActivity({ txId: null, server: 'das', occurredAt: daysAgo(9), startedAt: null, dbUser: 'linked' })]);
  const t2 = await w.pool.query<{ seq: string }>(`select seq from auditql.changes where tx_id = 't2' order by seq limit 1`);
  await attribute(w, t2.rows[0]!.seq, { evidence: 'ACTIVITY_TX', confidence: 'EXACT', dbUser: 'linked', activitySeq: loose.seqs.activity[0]! });

  scan = openWarehouse(w.url);
  bypassTxLocator(scan.db);
  const opts = { auth: { mode: 'none' as const }, port: 0, host: '127.0.0.1' };
  locating = await startApiServer({ ...opts, warehouse: w });
  scanning = await startApiServer({ ...opts, warehouse: scan });
});
afterAll(async () => {
  await Promise.all([locating?.close(), scanning?.close()]);
  await scan?.close();
  await w?.destroy();
});

const TX_FIELDS = `id server changeCount activityCount committedAt beganAt endedAt context appUser
  changes(first: 50) { nodes { id committedAt } } activity(first: 50) { nodes { id occurredAt dbUser } }`;
const TX = `query($id: String!, $server: String) { transaction(id: $id, server: $server) { ${TX_FIELDS} } }`;
const CHANGES = `query { changes(first: 60, order: FEED_ORDER) { edges { node { id transaction { id changeCount activityCount
  changes(first: 3) { nodes { id } } activity(first: 3) { nodes { id } } } } } } }`;
const ACTIVITY = `query { activity(first: 60, order: FEED_ORDER) { edges { node { id transaction { id changeCount
  changes(first: 2) { nodes { id } } } } } } }`;

/** The same request to both servers: the bodies must be the same bytes (an error too: an id on two servers without `server`). */
async function same(query: string, variables: Record<string, unknown> = {}): Promise<unknown> {
  const [a, b] = await Promise.all([postGraphql(locating.url, query, variables), postGraphql(scanning.url, query, variables)]);
  expect(a.text).toBe(b.text);
  return a.data;
}

async function everyAnswer(): Promise<void> {
  for (const id of TX_IDS) {
    await same(TX, { id });
    for (const server of ['pg1', 'pg2', 'das']) await same(TX, { id, server });
  }
  await same(CHANGES);
  await same(ACTIVITY);
}

describe('transaction locator', () => {
  it('answers transaction(id) and the transaction fields of a page exactly as a read of every partition', async () => {
    const both = await postGraphql(locating.url, TX, { id: 't0' });
    expect(both.errors?.[0]?.extensions?.['code']).toBe('AUDITQL_BAD_INPUT'); // on pg1 and pg2
    const t0 = (await same(TX, { id: 't0', server: 'pg1' })) as { transaction: { changeCount: number; changes: { nodes: unknown[] } } };
    expect(t0.transaction.changeCount).toBeGreaterThan(3); // spans several days and the default partition
    const t2 = (await same(TX, { id: 't2', server: 'pg1' })) as { transaction: { activity: { nodes: { dbUser: string | null }[] } } };
    expect(t2.transaction.activity.nodes.map((n) => n.dbUser)).toContain('linked');
    const old = (await same(TX, { id: 'old' })) as { transaction: { changeCount: number } };
    expect(old.transaction.changeCount).toBe(2);
    await everyAnswer();
  });

  it('gives a warehouse migrated before the locator the same answers, from the backfill', async () => {
    const before = await w.pool.query<{ n: number }>(`select count(*)::int as n from (select distinct tx_id, server, relation, part_day from auditql.tx_parts) d`);
    await w.pool.query(`drop table auditql.tx_parts`);
    await w.pool.query(`delete from auditql.schema_migrations where name = '048_tx_locator.sql'`);
    expect((await migrate(w.pool)).applied).toEqual(['048_tx_locator.sql']);
    const after = await w.pool.query<{ n: number }>(`select count(*)::int as n from (select distinct tx_id, server, relation, part_day from auditql.tx_parts) d`);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
    await everyAnswer();
  });

  it('forgets the days retention drops, and still answers as the scan does', async () => {
    const dropped = await new PartitionManager(w.pool).dropOlderThan(40);
    expect(dropped).toContain(`changes_p${dayOf(daysAgo(80)).replaceAll('-', '')}`);
    const days = dropped.map((name) => `${name.slice(-8, -4)}-${name.slice(-4, -2)}-${name.slice(-2)}`);
    const left = await w.pool.query<{ n: number }>(`select count(*)::int as n from auditql.tx_parts where part_day = any($1::date[])`, [days]);
    expect(left.rows[0]!.n).toBe(0);
    // the epoch day stays: its rows are in the default partition, which retention never drops
    const epoch = await w.pool.query<{ n: number }>(`select count(*)::int as n from auditql.tx_parts where part_day = '1970-01-01'`);
    expect(epoch.rows[0]!.n).toBeGreaterThan(0);
    const old = (await same(TX, { id: 'old' })) as { transaction: { changeCount: number } };
    expect(old.transaction.changeCount).toBe(1); // the far-future row in the default partition stays
    await everyAnswer();
  });
});
