/**
 * Range reads a few daily partitions at a time (docs/warehouse.md "Range reads"), over HTTP against real
 * API servers on a warehouse of many daily partitions, rows in the default partition (unknown times, a day
 * before the managed window, the far future, and a day in the middle of the walk whose partition was
 * detached), a partition dropped by hand and days dropped by retention:
 * - `changes(filter)`, `whoChanged` without a key, `activity` and `activityByUser`, newest first and in
 *   feed order, with filters and windows, and `transaction(id)` (through the transaction locator), answer
 *   page by page byte for byte what one statement over the partitioned table answers (a second server on
 *   the same warehouse with the walk and the locator bypassed, as on TimescaleDB), at about 30 and about
 *   300 partitions;
 * - EXPLAIN of the statements of a page shows the same few partitions at 30 as at 300, where the one
 *   statement over the partitioned table plans every one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { postGraphql } from './helpers.js';
import { attribute, mkActivity, mkChange, mkContext, mkTransaction, store } from './seed.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { bypassDayWalk } from '../../src/warehouse/queries/day-walk.js';
import { bypassTxLocator } from '../../src/warehouse/queries/tx-days.js';
import { dayOf, PartitionManager } from '../../src/warehouse/partitions.js';
import type { AuditEvent } from '../../src/model/events.js';

const DAY = 86_400_000;
const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
const daysAgo = (n: number, hour = 10, minute = 0) => new Date(today - n * DAY + hour * 3_600_000 + minute * 60_000);
const suffix = (d: Date) => dayOf(d).replaceAll('-', '');

/** A warehouse handle that records every statement with its values. */
function recordingWarehouse(url: string): WarehouseDb & { readonly statements: { text: string; values: unknown[] }[] } {
  const w = openWarehouse(url, { max: 4 });
  const statements: { text: string; values: unknown[] }[] = [];
  w.pool.on('connect', (client: pg.PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text?: string; values?: unknown[] };
      const text = typeof first === 'string' ? first : (first.text ?? '');
      const values = (typeof first === 'string' ? args[1] : first.values) as unknown[] | undefined;
      statements.push({ text, values: values ?? [] });
      return query(...args);
    };
  });
  return Object.assign(w, { statements });
}

let w: TestWarehouse;
let scan: WarehouseDb;
let rec: ReturnType<typeof recordingWarehouse>;
let walking: ApiServer;
let scanning: ApiServer;
let recording: ApiServer;

beforeAll(async () => {
  w = await freshWarehouse();
  const events: AuditEvent[] = [];
  let n = 0;
  const day = (at: Date | null, k: number) => {
    n++;
    const txId = `tx-${Math.floor(n / 3)}`;
    const table = n % 4 === 0 ? 'orders' : 'customers';
    events.push(mkChange({ table, key: { id: k }, operation: n % 5 === 0 ? 'DELETE' : 'UPDATE', before: { id: k, n: n - 1 },
      after: n % 5 === 0 ? null : { id: k, n, other: n % 2 }, txId, committedAt: at }));
    events.push(mkActivity({ dbUser: n % 3 === 0 ? 'carol' : 'bob', class: n % 2 === 0 ? 'WRITE' : 'READ', txId, occurredAt: at, startedAt: null }));
  };
  // 40 days, two to four rows a day at distinct times; several rows share a time (ties on part_at).
  for (let d = 40; d >= 0; d--) for (let h = 0; h < 2 + (d % 3); h++) day(daysAgo(d, 6 + 3 * h, h === 1 ? 0 : 30), d * 10 + h);
  day(daysAgo(5, 6, 30), 999);
  day(null, 1); // the epoch: default partition
  day(new Date(Date.UTC(1985, 4, 1, 12)), 2); // before the managed window: default partition
  day(new Date(today + 90 * DAY), 3); // beyond 31 days ahead: default partition
  events.push(mkContext({ txId: 'tx-7', appUser: 'alice', content: { user: 'alice' }, occurredAt: daysAgo(38) }));
  events.push(mkTransaction({ txId: 'tx-7', status: 'BEGIN', occurredAt: daysAgo(38) }), mkTransaction({ txId: 'tx-7', status: 'END', occurredAt: daysAgo(38) }));
  await store(w, events);
  // application-user evidence naming activity, on some changes
  const linked = await w.pool.query<{ c: string; a: string }>(`select c.seq as c, a.seq as a from auditql.changes c
    join auditql.activity a on a.tx_id = c.tx_id where c.seq % 7 = 0`);
  for (const r of linked.rows) await attribute(w, r.c, { evidence: 'ACTIVITY_TX', confidence: 'EXACT', appUser: 'alice', dbUser: 'bob', activitySeq: r.a });
  // A day in the middle of the walk whose rows sit in the default partition: detach its partitions, move
  // their rows to the default one.
  for (const t of ['changes', 'activity']) {
    const p = `auditql.${t}_p${suffix(daysAgo(20))}`;
    await w.pool.query(`alter table auditql.${t} detach partition ${p}`);
    await w.pool.query(`insert into auditql.${t} select * from ${p}`);
    await w.pool.query(`drop table ${p}`);
  }
  // A partition dropped by hand, and retention before 35 days ago.
  for (const t of ['changes', 'activity']) await w.pool.query(`drop table auditql.${t}_p${suffix(daysAgo(12))}`);
  const dropped = await new PartitionManager(w.pool).dropOlderThan(35);
  expect(dropped).toContain(`changes_p${suffix(daysAgo(38))}`);
  const inDefault = await w.pool.query<{ n: number }>(`select count(*)::int as n from auditql.changes_default`);
  expect(inDefault.rows[0]!.n).toBeGreaterThan(5);

  scan = openWarehouse(w.url);
  bypassDayWalk(scan.db);
  bypassTxLocator(scan.db);
  rec = recordingWarehouse(w.url);
  const opts = { auth: { mode: 'none' as const }, port: 0, host: '127.0.0.1' };
  walking = await startApiServer({ ...opts, warehouse: w });
  scanning = await startApiServer({ ...opts, warehouse: scan });
  recording = await startApiServer({ ...opts, warehouse: rec });
});
afterAll(async () => {
  await Promise.all([walking?.close(), scanning?.close(), recording?.close()]);
  await Promise.all([scan?.close(), rec?.close()]);
  await w?.destroy();
});

const CHANGE = 'edges { cursor node { id cursor operation committedAt table key before after } } pageInfo { hasNextPage endCursor }';
const ACT = 'edges { cursor node { id cursor class command dbUser occurredAt } } pageInfo { hasNextPage endCursor }';
const CHANGES = `query($filter: ChangeFilter, $first: Int, $after: String, $order: FeedOrder) {
  changes(filter: $filter, first: $first, after: $after, order: $order) { ${CHANGE} } }`;
const WHO = `query($table: String!, $first: Int, $after: String, $field: String, $since: DateTime, $until: DateTime, $user: String) {
  whoChanged(table: $table, first: $first, after: $after, field: $field, since: $since, until: $until, user: $user) { ${CHANGE} } }`;
const ACTIVITY = `query($filter: ActivityFilter, $first: Int, $after: String, $order: FeedOrder) {
  activity(filter: $filter, first: $first, after: $after, order: $order) { ${ACT} } }`;
const BY_USER = `query($user: String!, $first: Int, $after: String, $since: DateTime, $until: DateTime, $classes: [String!]) {
  activityByUser(user: $user, first: $first, after: $after, since: $since, until: $until, classes: $classes) { ${ACT} } }`;
const TX = `query($id: String!) { transaction(id: $id) { id changeCount activityCount committedAt
  changes(first: 50) { nodes { id committedAt } } activity(first: 50) { nodes { id occurredAt } } } }`;

type Page = { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: unknown[] };

/** The same request to both servers: the bodies must be the same bytes. */
async function same(query: string, variables: Record<string, unknown>): Promise<Record<string, Page>> {
  const [a, b] = await Promise.all([postGraphql(walking.url, query, variables), postGraphql(scanning.url, query, variables)]);
  expect(a.errors, a.text).toBeUndefined();
  expect(a.text).toBe(b.text);
  return a.data as never;
}

/** Every page of a connection, each compared; returns the number of rows. */
async function walk(query: string, field: string, variables: Record<string, unknown>): Promise<number> {
  let after: string | null = null;
  let rows = 0;
  for (;;) {
    const page: { edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } = (await same(query, { ...variables, after }))[field]!;
    rows += page.edges.length;
    if (!page.pageInfo.hasNextPage) return rows;
    after = page.pageInfo.endCursor;
  }
}

const window = { since: daysAgo(30, 7).toISOString(), until: daysAgo(8, 13).toISOString() };

async function everyRead(sizes: readonly number[]): Promise<void> {
  const all = await w.pool.query<{ n: number }>('select count(*)::int as n from auditql.changes');
  // small pages end on every window boundary somewhere
  expect(await walk(CHANGES, 'changes', { first: 1 })).toBe(all.rows[0]!.n);
  expect(await walk(ACTIVITY, 'activity', { first: 2 })).toBeGreaterThan(100);
  for (const first of sizes) {
    for (const order of ['NEWEST_FIRST', 'FEED_ORDER']) {
      expect(await walk(CHANGES, 'changes', { first, order })).toBe(all.rows[0]!.n);
      await walk(CHANGES, 'changes', { first, order, filter: { table: 'orders', operations: ['UPDATE'] } });
      await walk(CHANGES, 'changes', { first, order, filter: window });
      await walk(CHANGES, 'changes', { first, order, filter: { actor: 'alice', field: 'n' } });
      await walk(ACTIVITY, 'activity', { first, order });
      await walk(ACTIVITY, 'activity', { first, order, filter: { user: 'carol', classes: ['WRITE'] } });
      await walk(ACTIVITY, 'activity', { first, order, filter: window });
    }
    expect(await walk(WHO, 'whoChanged', { table: 'customers', first })).toBeGreaterThan(50);
    await walk(WHO, 'whoChanged', { table: 'customers', first, field: 'other', ...window });
    await walk(WHO, 'whoChanged', { table: 'orders', first, user: 'alice' });
    await walk(BY_USER, 'activityByUser', { user: 'bob', first });
    expect(await walk(BY_USER, 'activityByUser', { user: 'alice', first })).toBeGreaterThan(5);
    await walk(BY_USER, 'activityByUser', { user: 'alice', first, classes: ['READ'], ...window });
    // a window that ends before the oldest partition, and one in the future
    await walk(CHANGES, 'changes', { first, filter: { until: new Date(Date.UTC(1995, 0, 1)).toISOString() } });
    await walk(ACTIVITY, 'activity', { first, filter: { since: new Date(today + 60 * DAY).toISOString() } });
  }
  // cursors a client made up: before the epoch, at it, inside a dropped day, and past any date
  const cursor = (seq: string, partUs: bigint) => Buffer.from(`c1:${seq}:${partUs}`).toString('base64url');
  const activityCursor = (seq: string, partUs: bigint) => Buffer.from(`a1:${seq}:${partUs}`).toString('base64url');
  for (const us of [-86_400_000_000n, 0n, BigInt(daysAgo(12, 12).getTime()) * 1000n, 9_000_000_000_000_000_000n]) {
    await walk(CHANGES, 'changes', { first: 9, after: cursor('999999', us) });
    await walk(WHO, 'whoChanged', { table: 'customers', first: 9, after: cursor('999999', us) });
    await walk(ACTIVITY, 'activity', { first: 9, after: activityCursor('999999', us) });
  }
  for (const id of ['tx-1', 'tx-7', 'tx-40', 'tx-60', 'tx-nothing']) await same(TX, { id });
}

/** Per statement of one request that reads the table: the partitions its EXPLAIN plan scans. */
async function partitionsPerStatement(query: string, variables: Record<string, unknown>, table: 'changes' | 'activity'): Promise<string[][]> {
  rec.statements.length = 0;
  const r = await postGraphql(recording.url, query, variables);
  expect(r.errors, r.text).toBeUndefined();
  const reads = rec.statements.filter((s) => s.text.includes(`from auditql.${table} `) && !s.text.startsWith('insert'));
  expect(reads.length).toBeGreaterThan(0);
  const out: string[][] = [];
  for (const s of reads) {
    const plan = await w.pool.query(`explain (format json) ${s.text}`, s.values);
    const names = new Set<string>();
    const visit = (node: Record<string, unknown>): void => {
      const rel = node['Relation Name'];
      if (typeof rel === 'string' && rel.startsWith(`${table}_`)) names.add(rel);
      for (const child of (node['Plans'] as Record<string, unknown>[] | undefined) ?? []) visit(child);
    };
    visit((plan.rows[0]['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]!.Plan);
    out.push([...names].sort());
  }
  return out;
}

async function partitionCount(table: string): Promise<number> {
  const r = await w.pool.query<{ n: number }>(`select count(*)::int as n from pg_inherits where inhparent = $1::regclass`, [`auditql.${table}`]);
  return r.rows[0]!.n;
}

describe('range reads', () => {
  const plans: Record<string, string[][]>[] = [];
  async function planned(): Promise<Record<string, string[][]>> {
    const mid = ((await same(CHANGES, { first: 30 })).changes!).pageInfo.endCursor;
    const midActivity = ((await same(ACTIVITY, { first: 30 })).activity!).pageInfo.endCursor;
    return {
      changes: await partitionsPerStatement(CHANGES, { first: 5 }, 'changes'),
      changesAfter: await partitionsPerStatement(CHANGES, { first: 5, after: mid }, 'changes'),
      whoChanged: await partitionsPerStatement(WHO, { table: 'customers', first: 5, after: mid }, 'changes'),
      activity: await partitionsPerStatement(ACTIVITY, { first: 5, after: midActivity }, 'activity'),
      activityByUser: await partitionsPerStatement(BY_USER, { user: 'bob', first: 3, after: midActivity }, 'activity'),
      // its servers, summary, changes, and the changes its attribution-linked activity is found through
      transaction: await partitionsPerStatement(TX, { id: 'tx-7' }, 'changes'),
    };
  }

  it('answers every page exactly as one statement over the partitioned table, at about 30 partitions', async () => {
    expect(await partitionCount('changes')).toBeLessThan(45);
    await everyRead([3, 8, 40]);
    plans.push(await planned());
  }, 300_000);

  it('and at about 300 partitions', async () => {
    const partitions = new PartitionManager(w.pool);
    const old = Array.from({ length: 270 }, (_, i) => dayOf(new Date(today - (60 + i) * DAY)));
    for (const t of ['changes', 'activity'] as const) await partitions.ensure(t, old);
    expect(await partitionCount('changes')).toBeGreaterThan(300);
    await everyRead([7]);
    plans.push(await planned());
  }, 300_000);

  it('plans the same few partitions per page at 30 as at 300', () => {
    expect(plans).toHaveLength(2);
    const [at30, at300] = plans as [Record<string, string[][]>, Record<string, string[][]>];
    expect(at300).toEqual(at30);
    // A page of 5 (about two days here) newest first from the top or from a cursor: two windows (one day,
    // then two), each planning its days' partitions only (and the default one where they do not cover
    // the window's range: the first page's open upper end).
    const { transaction, ...pages } = at30;
    // transaction(id: "tx-7"), through the transaction locator: its two days' partitions in each statement
    expect(transaction).toHaveLength(4);
    for (const partitions of transaction!) expect(partitions).toEqual([`changes_p${suffix(daysAgo(34))}`, `changes_p${suffix(daysAgo(33))}`].sort());
    for (const [name, statements] of Object.entries(pages)) {
      expect(statements.length, name).toBeLessThanOrEqual(2);
      expect(new Set(statements.flat()).size, `${name}: ${statements.flat().join(' ')}`).toBeLessThanOrEqual(4);
    }
    expect(at30['changesAfter']!.flat()).not.toContain('changes_default');
  });

  it('where one statement over the partitioned table plans every partition', async () => {
    const all = await partitionCount('changes');
    const r = await postGraphql(scanning.url, CHANGES, { first: 20 });
    expect(r.errors).toBeUndefined();
    const plan = await w.pool.query(`explain (format json) select * from auditql.changes c order by c.part_at desc, c.seq desc limit 21`);
    const text = JSON.stringify(plan.rows[0]);
    expect(text.match(/"Relation Name":"changes_(p\d{8}|default)"/g)!.length).toBe(all);
  });
});
