/** Relay paging with opaque cursors: no duplicates and no gaps across pages, limits and bad cursors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, ok, gql, type TestApi } from './helpers.js';
import { mkActivity, mkChange, store } from './seed.js';
import { ActivityDocument, ChangesDocument, EntityHistoryDocument, type ActivityQuery, type EntityHistoryQuery } from './generated.js';
import { decodeChangeCursor } from '../../src/graphql/cursor.js';

let t: TestApi;
const BASE = Date.parse('2026-11-20T00:00:00Z');

beforeAll(async () => {
  t = await startTestApi({ maxPageSize: 50 });
  // 95 changes of one entity over several batches; many share a commit time (ties break by seq), some have none.
  for (let b = 0; b < 5; b++) {
    await store(t.w, Array.from({ length: 19 }, (_, i) => {
      const n = b * 19 + i;
      return mkChange({
        key: { id: 1 }, after: { id: 1, n }, before: { id: 1, n: n - 1 },
        committedAt: n % 10 === 9 ? null : new Date(BASE + Math.floor(n / 3) * 60_000),
        committedAtSource: n % 10 === 9 ? 'UNKNOWN' : 'SOURCE',
      });
    }));
  }
  await store(t.w, Array.from({ length: 30 }, (_, i) => mkActivity({ dbUser: 'pager', occurredAt: new Date(BASE + (i % 7) * 1000) })));
});
afterAll(async () => {
  await t?.close();
});

async function expected(order: 'newest' | 'feed'): Promise<string[]> {
  const r = await t.w.pool.query<{ seq: string }>(
    `select seq from auditql.changes order by ${order === 'newest' ? 'part_at desc, seq desc' : 'seq asc'}`,
  );
  return r.rows.map((x) => x.seq);
}

describe('connections', () => {
  it('walks entityHistory page by page with no duplicate and no gap', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const r: EntityHistoryQuery = await ok(t.url, EntityHistoryDocument, { table: 'customers', key: { id: '1' }, first: 7, after });
      const c: EntityHistoryQuery['entityHistory'] = r.entityHistory;
      seen.push(...c.edges.map((e) => e.node.id));
      expect(c.edges.every((e) => e.cursor === e.node.cursor)).toBe(true);
      expect(c.pageInfo.hasPreviousPage).toBe(after !== null);
      pages++;
      if (!c.pageInfo.hasNextPage) break;
      after = c.pageInfo.endCursor;
    }
    expect(pages).toBe(14);
    expect(seen).toEqual(await expected('newest'));
    expect(new Set(seen).size).toBe(95);
  });

  it('walks the feed order the same way, and a node cursor resumes like endCursor', async () => {
    const all = await expected('feed');
    const first = await ok(t.url, ChangesDocument, { first: 10, order: 'FEED_ORDER' });
    expect(first.changes.edges.map((e) => e.node.id)).toEqual(all.slice(0, 10));
    // resume after the 4th node of the page using its own cursor
    const mid = first.changes.edges[3]!.node.cursor;
    const next = await ok(t.url, ChangesDocument, { first: 10, order: 'FEED_ORDER', after: mid });
    expect(next.changes.edges.map((e) => e.node.id)).toEqual(all.slice(4, 14));
    // the cursor carries the feed sequence (subscriptions resume above it)
    expect(decodeChangeCursor(mid).seq).toBe(all[3]);
  });

  it('keeps later pages stable when newer changes arrive in between', async () => {
    const p1 = await ok(t.url, EntityHistoryDocument, { table: 'customers', key: { id: 1 }, first: 10 });
    await store(t.w, [mkChange({ key: { id: 1 }, after: { id: 1, n: 999 }, committedAt: new Date(BASE + 86_400_000) })]);
    const p2 = await ok(t.url, EntityHistoryDocument, { table: 'customers', key: { id: 1 }, first: 10, after: p1.entityHistory.pageInfo.endCursor });
    const before = (await expected('newest')).slice(1); // without the newcomer at the head
    expect([...p1.entityHistory.edges, ...p2.entityHistory.edges].map((e) => e.node.id)).toEqual(before.slice(0, 20));
  });

  it('pages activity', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const r: ActivityQuery = await ok(t.url, ActivityDocument, { filter: { user: 'pager' }, first: 8, after });
      seen.push(...r.activity.edges.map((e) => e.node.id));
      after = r.activity.pageInfo.hasNextPage ? r.activity.pageInfo.endCursor : null;
    } while (after);
    const rows = await t.w.pool.query<{ seq: string }>(`select seq from auditql.activity where db_user = 'pager' order by part_at desc, seq desc`);
    expect(seen).toEqual(rows.rows.map((r) => r.seq));
  });

  it('defaults to 20 per page and allows first: 0', async () => {
    const r = await ok(t.url, ChangesDocument, {});
    expect(r.changes.edges).toHaveLength(20);
    const zero = await ok(t.url, ChangesDocument, { first: 0 });
    expect(zero.changes.edges).toEqual([]);
    expect(zero.changes.pageInfo).toMatchObject({ hasNextPage: true, endCursor: null });
  });
});

describe('paging errors', () => {
  it('refuses a page larger than the configured maximum', async () => {
    const r = await gql(t.url, ChangesDocument, { first: 51 });
    expect(r.status).toBe(200);
    expect(r.data).toBeNull();
    expect(r.errors?.[0]).toMatchObject({ extensions: { code: 'AUDITQL_PAGE_TOO_LARGE' }, path: ['changes'] });
    expect((await gql(t.url, ChangesDocument, { first: -1 })).errors?.[0]?.extensions?.code).toBe('AUDITQL_BAD_INPUT');
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['empty', ''],
    ['base64 of something else', Buffer.from('hello').toString('base64url')],
    ['non-numeric seq', Buffer.from('c1:abc:0').toString('base64url')],
    ['huge seq', Buffer.from('c1:99999999999999999999:0').toString('base64url')],
  ])('refuses a bad cursor (%s) with AUDITQL_BAD_CURSOR', async (_name, after) => {
    const r = await gql(t.url, ChangesDocument, { after });
    expect(r.errors?.[0]?.extensions?.code).toBe('AUDITQL_BAD_CURSOR');
  });

  it('refuses an activity cursor where a change cursor belongs, and the reverse', async () => {
    const a = await ok(t.url, ActivityDocument, { first: 1 });
    const c = await ok(t.url, ChangesDocument, { first: 1 });
    expect((await gql(t.url, ChangesDocument, { after: a.activity.pageInfo.endCursor })).errors?.[0]?.extensions?.code).toBe('AUDITQL_BAD_CURSOR');
    expect((await gql(t.url, ActivityDocument, { after: c.changes.pageInfo.endCursor })).errors?.[0]?.extensions?.code).toBe('AUDITQL_BAD_CURSOR');
  });
});
