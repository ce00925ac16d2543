/**
 * The schema-change timeline over the DDL fixtures of Maxwell and Debezium, ingested through the real
 * pipeline and sink and asked over HTTP: newest first, by table and time window, page by page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureCases } from '../helpers/fixtures.js';
import { ingestFixtures } from '../helpers/ingest-fixtures.js';
import { startTestApi, ok, gql, type TestApi } from './helpers.js';
import { parsePolicy } from '../../src/policy/load-policy.js';
import { ChangesDocument, SchemaChangesDocument, type SchemaChangesQuery } from './generated.js';

interface ExpectedDdl { kind: string; changeType: string; database: string | null; schema: string | null; table: string | null; ddl: string | null; occurredAt: string | null }

const cases = [...fixtureCases('maxwell'), ...fixtureCases('debezium')].filter((c) => ['ddl', 'mysql-schema-change'].includes(c.name));
const source = (c: { format: string; name: string }) => `ddl/${c.format}/${c.name}`;
const shape = (e: ExpectedDdl, format: string) =>
  ({ changeType: e.changeType, database: e.database, schema: e.schema, table: e.table, ddl: e.ddl, occurredAt: e.occurredAt, format });
// In ingest order (which is seq order), then newest first: occurredAt descending, ties by seq descending.
const stored = cases.flatMap((c) => (c.expected.events as ExpectedDdl[]).filter((e) => e.kind === 'schema-change').map((e) => ({ ...shape(e, c.format), source: source(c) })));
const newestFirst = stored.map((e, i) => ({ e, i }))
  .sort((a, b) => (b.e.occurredAt ?? '').localeCompare(a.e.occurredAt ?? '') || b.i - a.i)
  .map((x) => x.e);
const fields = (n: SchemaChangesQuery['schemaChanges']['edges'][number]['node']) =>
  ({ changeType: n.changeType, database: n.database, schema: n.schema, table: n.table, ddl: n.ddl, occurredAt: n.occurredAt, format: n.format, source: n.source });

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
  await ingestFixtures(t.w.pool, cases, source);
});
afterAll(async () => {
  await t?.close();
});

describe('Query.schemaChanges', () => {
  it('returns every stored DDL event, newest first, with what the source said', async () => {
    expect(cases).toHaveLength(2);
    expect(stored.length).toBeGreaterThanOrEqual(10);
    const r = await ok(t.url, SchemaChangesDocument, { first: 100 });
    expect(r.schemaChanges.edges.map((x) => fields(x.node))).toEqual(newestFirst);
    expect(r.schemaChanges.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    expect(r.schemaChanges.edges.every((x) => x.cursor === x.node.cursor)).toBe(true);
  });

  it('filters by table and by a time window (since inclusive, until exclusive)', async () => {
    const e = await ok(t.url, SchemaChangesDocument, { table: 'e', first: 100 });
    expect(e.schemaChanges.edges.map((x) => x.node.changeType)).toEqual(['table-alter', 'table-create']);
    const since = '2024-06-10T06:48:20.000Z';
    const until = '2024-06-10T06:51:40.100Z';
    const w = await ok(t.url, SchemaChangesDocument, { since, until, first: 100 });
    const inWindow = newestFirst.filter((x) => x.occurredAt !== null && x.occurredAt >= since && x.occurredAt < until);
    expect(inWindow.length).toBeGreaterThanOrEqual(3);
    expect(w.schemaChanges.edges.map((x) => fields(x.node))).toEqual(inWindow);
  });

  it('pages with cursors, with no duplicate and no gap', async () => {
    const seen: ReturnType<typeof fields>[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const r: SchemaChangesQuery = await ok(t.url, SchemaChangesDocument, { first: 3, after });
      seen.push(...r.schemaChanges.edges.map((x) => fields(x.node)));
      after = r.schemaChanges.pageInfo.hasNextPage ? r.schemaChanges.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(Math.ceil(newestFirst.length / 3));
    expect(seen).toEqual(newestFirst);
  });

  it("applies the role's table scope: a table's DDL as its rows, a database's DDL as that database's sessions", async () => {
    const policy = parsePolicy({ roles: { scoped: { tables: ['test..e', 'shop..orders'], fields: ['Query.*'] } } }, null);
    const api = await startTestApi({ warehouse: t.w, auth: { mode: 'none', role: 'scoped' }, policy });
    try {
      const r = await ok(api.url, SchemaChangesDocument, { first: 100 });
      const seen = newestFirst.filter((x) => (x.table === null ? x.database === 'test' || x.database === 'shop' : x.database === 'test' && x.table === 'e'));
      expect(seen.map((x) => x.changeType).sort()).toEqual(['CREATE', 'database-alter', 'table-alter', 'table-create']);
      expect(r.schemaChanges.edges.map((x) => fields(x.node))).toEqual(seen);
      const other = await ok(api.url, SchemaChangesDocument, { table: 'customers', first: 100 });
      expect(other.schemaChanges.edges).toEqual([]);
    } finally {
      await api.api.close();
    }
  });

  it('refuses a cursor that is not a schema change\'s', async () => {
    // a real cursor of another kind
    await ingestFixtures(t.w.pool, fixtureCases('maxwell').filter((c) => c.name === 'dataformat-example'), source);
    const change = (await ok(t.url, ChangesDocument, { first: 1 })).changes.edges[0]!.cursor;
    const r = await gql(t.url, SchemaChangesDocument, { after: change });
    expect(r.errors?.[0]?.extensions?.code).toBe('AUDITQL_BAD_CURSOR');
  });
});
