/**
 * The entity locator (docs/warehouse.md "Reading one entity: the locator"), over HTTP against real API
 * servers on a warehouse of many daily partitions, the default partition, a partition dropped by hand
 * (its locator rows left behind) and days dropped by retention (theirs forgotten):
 * - entityHistory, whoChanged with a key and entityAt answer byte for byte what the scan of every
 *   partition answers (a second server on the same warehouse with the locator bypassed, as on TimescaleDB);
 * - an entityHistory page with actor, transaction and fieldChanges costs the same number of statements
 *   for 5 rows as for 20, and with 50 more partitions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshWarehouse, type TestWarehouse } from '../helpers/db.js';
import { countingWarehouse, postGraphql } from './helpers.js';
import { attribute, mkChange, store } from './seed.js';
import { startApiServer, type ApiServer } from '../../src/graphql/server.js';
import { openWarehouse, type WarehouseDb } from '../../src/warehouse/db.js';
import { bypassLocator } from '../../src/warehouse/queries/located-changes.js';
import { dayOf, PartitionManager } from '../../src/warehouse/partitions.js';
import type { ChangeEvent } from '../../src/model/events.js';
import { keyText } from '../../src/model/row-key.js';

const DAY = 86_400_000;
const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
const daysAgo = (n: number, hour = 10) => new Date(today - n * DAY + hour * 3_600_000);
const partition = (d: Date) => `changes_p${dayOf(d).replaceAll('-', '')}`;

let w: TestWarehouse;
let scan: WarehouseDb;
let counted: ReturnType<typeof countingWarehouse>;
let located: ApiServer;
let scanning: ApiServer;
let countingApi: ApiServer;

beforeAll(async () => {
  w = await freshWarehouse();
  const events: ChangeEvent[] = [];
  let n = 0;
  const step = (key: { id: number }, committedAt: Date | null, p: Partial<ChangeEvent> = {}) => {
    n++;
    events.push(mkChange({ table: 'customers', key, before: null, beforeComplete: false, after: { ...key, n, other: n % 3 },
      txId: `tx-${n}`, committedAt, ...p }));
  };
  // Entity 1: changes on 45 of the last 60 days (one to three a day), in the default partition (unknown
  // time, and a day before the managed window) and in another database; entity 2 on every day.
  step({ id: 1 }, null, { operation: 'INSERT', before: null, beforeComplete: true });
  step({ id: 1 }, new Date(Date.UTC(1985, 4, 1, 12)));
  for (let d = 60; d >= 1; d--) {
    if (d % 4 !== 0) for (let h = 0; h < 1 + (d % 3); h++) step({ id: 1 }, daysAgo(d, 8 + h));
    step({ id: 2 }, daysAgo(d, 12));
  }
  step({ id: 1 }, daysAgo(3, 20), { database: 'other' });
  await store(w, events);
  // A partition dropped by hand: its locator rows stay behind and must read as nothing.
  await w.pool.query(`drop table auditql.${partition(daysAgo(30))}`);
  // Retention drops the days before 50 days ago, and forgets them in the locator.
  const dropped = await new PartitionManager(w.pool).dropOlderThan(50);
  expect(dropped).toContain(partition(daysAgo(55)));
  const left = await w.pool.query(`select count(*)::int as n from auditql.entity_parts where part_day < $1::date and part_day >= '1990-01-01'`, [dayOf(daysAgo(50))]);
  expect(left.rows[0].n).toBe(0);
  const stale = await w.pool.query(`select count(*)::int as n from auditql.entity_parts where part_day = $1::date`, [dayOf(daysAgo(30))]);
  expect(stale.rows[0].n).toBeGreaterThan(0);

  scan = openWarehouse(w.url);
  bypassLocator(scan.db);
  counted = countingWarehouse(w.url);
  const opts = { auth: { mode: 'none' as const }, port: 0, host: '127.0.0.1' };
  located = await startApiServer({ ...opts, warehouse: w });
  scanning = await startApiServer({ ...opts, warehouse: scan });
  countingApi = await startApiServer({ ...opts, warehouse: counted });
});
afterAll(async () => {
  await Promise.all([located?.close(), scanning?.close(), countingApi?.close()]);
  await Promise.all([scan?.close(), counted?.close()]);
  await w?.destroy();
});

const CHANGE = `id cursor operation committedAt database schema table key before after beforeComplete
  fieldChanges { field oldValue newValue oldValueFrom }`;
const HISTORY = `query($key: JSON!, $first: Int, $after: String, $database: String) {
  entityHistory(table: "customers", key: $key, first: $first, after: $after, database: $database) {
    edges { cursor node { ${CHANGE} } } pageInfo { hasNextPage endCursor } } }`;
const WHO = `query($key: JSON, $first: Int, $after: String, $field: String, $since: DateTime, $until: DateTime) {
  whoChanged(table: "customers", key: $key, first: $first, after: $after, field: $field, since: $since, until: $until) {
    edges { cursor node { ${CHANGE} } } pageInfo { hasNextPage endCursor } } }`;
const AT = `query($key: JSON!, $at: DateTime!, $database: String) { entityAt(table: "customers", key: $key, at: $at, database: $database) }`;

/** The same request to both servers: the bodies must be the same bytes. Returns the parsed data. */
async function same(query: string, variables: Record<string, unknown>): Promise<Record<string, { pageInfo?: { hasNextPage: boolean; endCursor: string | null }; edges?: unknown[] }>> {
  const [a, b] = await Promise.all([postGraphql(located.url, query, variables), postGraphql(scanning.url, query, variables)]);
  expect(a.errors, a.text).toBeUndefined();
  expect(a.text).toBe(b.text);
  return a.data as never;
}

/** Every page of a connection, each compared; returns the number of rows. */
async function walk(query: string, field: string, variables: Record<string, unknown>): Promise<number> {
  let after: string | null = null;
  let rows = 0;
  for (;;) {
    const page: { edges?: unknown[]; pageInfo?: { hasNextPage: boolean; endCursor: string | null } } = (await same(query, { ...variables, after }))[field]!;
    rows += page.edges!.length;
    if (!page.pageInfo!.hasNextPage) return rows;
    after = page.pageInfo!.endCursor;
  }
}

describe('entity locator', () => {
  it('answers entityHistory page by page exactly as the scan does', async () => {
    for (const first of [1, 7, 50]) {
      // 36 changes: 45 days minus those dropped, plus the two in the default partition
      expect(await walk(HISTORY, 'entityHistory', { key: { id: 1 }, first })).toBeGreaterThan(30);
      await walk(HISTORY, 'entityHistory', { key: { id: '1' }, first, database: 'shop' });
      await walk(HISTORY, 'entityHistory', { key: { id: 1 }, first, database: 'other' });
    }
    expect(await walk(HISTORY, 'entityHistory', { key: { id: 2 }, first: 10 })).toBe(50 - 1);
    expect(await walk(HISTORY, 'entityHistory', { key: { id: 3 }, first: 10 })).toBe(0);
  });

  it('answers whoChanged with a key, with and without a field and a window, exactly as the scan does', async () => {
    for (const first of [2, 9]) {
      await walk(WHO, 'whoChanged', { key: { id: 1 }, first });
      await walk(WHO, 'whoChanged', { key: { id: 1 }, first, field: 'other' });
      await walk(WHO, 'whoChanged', { key: { id: 1 }, first, since: daysAgo(40, 0).toISOString(), until: daysAgo(10, 9).toISOString() });
    }
  });

  it('answers entityAt at every point exactly as the scan does', async () => {
    const points = [new Date(0), new Date(Date.UTC(1985, 4, 2)), daysAgo(55), daysAgo(45, 9), daysAgo(30, 23), daysAgo(29, 8), daysAgo(3, 21), new Date()];
    for (const point of points) {
      await same(AT, { key: { id: 1 }, at: point.toISOString() });
      await same(AT, { key: { id: 1 }, at: point.toISOString(), database: 'shop' });
    }
  });
});

describe('statements per entity page', () => {
  const DEEP = `query($first: Int) { entityHistory(table: "customers", key: { id: 2 }, first: $first) { nodes {
    id fieldChanges { field oldValue oldValueFrom } actor { dbUser appUser }
    transaction { id changeCount changes { nodes { id } } activity { nodes { id } } } } } }`;

  async function statementsFor(first: number): Promise<number> {
    counted.statements.length = 0;
    const r = await postGraphql<{ entityHistory: { nodes: { fieldChanges: unknown[]; actor: unknown; transaction: unknown }[] } }>(countingApi.url, DEEP, { first });
    expect(r.errors, r.text).toBeUndefined();
    const nodes = r.data!.entityHistory.nodes;
    expect(nodes).toHaveLength(first);
    for (const node of nodes) expect(node.fieldChanges).toContainEqual(expect.objectContaining({ field: 'n', oldValueFrom: 'HISTORY' }));
    for (const node of nodes) expect(node.actor).toMatchObject({ appUser: 'someone' });
    for (const node of nodes) expect(node.transaction).toMatchObject({ changeCount: 1 });
    // The access audit's record of each request is written after its response, so it may land in the next
    // request's count: only the reads are counted.
    const reads = counted.statements.filter((q) => !q.startsWith('insert into "auditql"."api_access"'));
    // read through the locator, then partitions by name, never the partitioned table
    expect(reads.filter((q) => q.includes('from auditql.entity_parts'))).toHaveLength(1);
    expect(reads.filter((q) => /from "auditql"\."changes_p\d{8}"/.test(q))).toHaveLength(1);
    return reads.length;
  }

  it('is the same for 5 rows as for 20, and with 50 more partitions', async () => {
    const seqs = await w.pool.query<{ seq: string }>(`select seq from auditql.changes where key_text = $1`, [keyText({ id: 2 })]);
    expect(seqs.rows.length).toBe(49);
    for (const { seq } of seqs.rows) await attribute(w, seq, { evidence: 'APP_CONTEXT', confidence: 'EXACT', appUser: 'someone' });
    await statementsFor(5); // first use of the pool's connections
    const five = await statementsFor(5);
    expect(await statementsFor(20)).toBe(five);
    const partitions = new PartitionManager(w.pool);
    await partitions.ensure('changes', Array.from({ length: 50 }, (_, i) => dayOf(new Date(today - (100 + i) * DAY))));
    expect(await statementsFor(5)).toBe(five);
    expect(await statementsFor(20)).toBe(five);
    // the locator, the page, attributions, preceding changes, where the transactions are (the transaction
    // locator), transaction summary, changes and activity
    expect(five).toBe(8);
  });
});
