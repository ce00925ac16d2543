/** entityAt / entityAtDetail over HTTP: the row as it was, rebuilt from history, and when it cannot be. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, ok, gql, type TestApi } from './helpers.js';
import { at, mkChange, storeEach } from './seed.js';
import { EntityAtDetailDocument, EntityAtDocument } from './generated.js';

let t: TestApi;
const seq: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApi();
  const bio = 'long text '.repeat(10);
  [seq.insert, seq.email, seq.toast, seq.del, seq.other, seq.partial, seq.tInsert, seq.truncate] = await storeEach(t.w, [
    mkChange({ operation: 'INSERT', key: { id: 1001 }, after: { id: 1001, email: 'a@x', bio }, committedAt: at('2026-11-20T10:00:00Z') }),
    mkChange({ key: { id: 1001 }, before: { id: 1001, email: 'a@x', bio }, after: { id: 1001, email: 'b@x', bio }, committedAt: at('2026-11-20T11:00:00Z') }),
    // Debezium: bio unchanged and unsent (TOAST); no before image
    mkChange({ key: { id: 1001 }, before: null, beforeComplete: false, after: { id: 1001, email: 'c@x' }, unknownAfter: ['bio'], committedAt: at('2026-11-20T12:00:00Z') }),
    mkChange({ operation: 'DELETE', key: { id: 1001 }, before: { id: 1001, email: 'c@x' }, unknownBefore: ['bio'], beforeComplete: false, committedAt: at('2026-11-20T13:00:00Z') }),
    // same key, another database
    mkChange({ operation: 'INSERT', database: 'archive', key: { id: 1001 }, after: { id: 1001, email: 'z@z' }, committedAt: at('2026-11-20T12:30:00Z') }),
    // first seen through an update whose TOAST column was not sent: cannot be rebuilt exactly
    mkChange({ key: { id: 2002 }, before: null, beforeComplete: false, after: { id: 2002, email: 'p@x' }, unknownAfter: ['bio'], committedAt: at('2026-11-20T10:00:00Z') }),
    // a table truncated after its row's last change
    mkChange({ operation: 'INSERT', table: 'carts', key: { id: 5 }, after: { id: 5, total: 10 }, committedAt: at('2026-11-20T10:00:00Z') }),
    mkChange({ operation: 'TRUNCATE', table: 'carts', key: {}, keySource: 'NONE', committedAt: at('2026-11-20T11:00:00Z') }),
  ]);
});
afterAll(async () => {
  await t?.close();
});

const row = async (key: unknown, atIso: string, database?: string) =>
  (await ok(t.url, EntityAtDocument, { table: 'customers', key, at: atIso, database })).entityAt;
const detail = async (table: string, key: unknown, atIso: string, database?: string) =>
  (await ok(t.url, EntityAtDetailDocument, { table, key, at: atIso, database })).entityAtDetail;

describe('entityAt', () => {
  it('rebuilds the row as it was at each point in its history', async () => {
    const bio = 'long text '.repeat(10);
    expect(await row({ id: 1001 }, '2026-11-20T09:59:59Z', 'shop')).toBeNull();
    expect(await row({ id: 1001 }, '2026-11-20T10:00:00Z', 'shop')).toEqual({ id: 1001, email: 'a@x', bio });
    expect(await row({ id: '1001' }, '2026-11-20T11:30:00Z', 'shop')).toEqual({ id: 1001, email: 'b@x', bio });
    // the unsent TOAST column comes from earlier images
    expect(await row({ id: 1001 }, '2026-11-20T12:00:00.000Z', 'shop')).toEqual({ id: 1001, email: 'c@x', bio });
    expect(await row({ id: 1001 }, '2026-11-20T13:00:00Z', 'shop')).toBeNull();
  });

  it('says how sure it is', async () => {
    expect(await detail('customers', { id: 1001 }, '2026-11-20T12:10:00Z', 'shop')).toMatchObject({
      existence: 'EXISTS', complete: true, unknownColumns: [], asOf: { id: seq.toast, operation: 'UPDATE', committedAt: '2026-11-20T12:00:00.000Z' },
    });
    expect(await detail('customers', { id: 1001 }, '2026-11-21T00:00:00Z', 'shop')).toMatchObject({ existence: 'DELETED', row: null, complete: true, asOf: { id: seq.del } });
    expect(await detail('customers', { id: 1001 }, '2020-01-01T00:00:00Z')).toMatchObject({ existence: 'NO_HISTORY', row: null, complete: false, asOf: null });
  });

  it('returns what it knows and names what it cannot rebuild', async () => {
    expect(await row({ id: 2002 }, '2026-11-20T10:30:00Z')).toEqual({ id: 2002, email: 'p@x' });
    expect(await detail('customers', { id: 2002 }, '2026-11-20T10:30:00Z')).toMatchObject({
      existence: 'EXISTS', complete: false, unknownColumns: ['bio'], row: { id: 2002, email: 'p@x' }, asOf: { id: seq.partial },
    });
  });

  it('keeps databases apart', async () => {
    expect(await row({ id: 1001 }, '2026-11-20T12:45:00Z', 'archive')).toEqual({ id: 1001, email: 'z@z' });
    // without a database the latest change of the key wins, and the rebuild stays within its database
    expect(await detail('customers', { id: 1001 }, '2026-11-20T12:45:00Z')).toMatchObject({ asOf: { id: seq.other }, complete: true, row: { id: 1001, email: 'z@z' } });
  });

  it('knows a truncated table has no rows', async () => {
    expect(await detail('carts', { id: 5 }, '2026-11-20T10:30:00Z')).toMatchObject({ existence: 'EXISTS', row: { id: 5, total: 10 } });
    expect(await detail('carts', { id: 5 }, '2026-11-20T11:30:00Z')).toMatchObject({ existence: 'TRUNCATED', row: null, asOf: { id: seq.truncate, operation: 'TRUNCATE' } });
  });

  it('refuses a key that is not an object of scalars', async () => {
    for (const key of [1001, 'id=1001', [1001], {}, { id: { nested: 1 } }, { id: [1] }]) {
      const r = await gql(t.url, EntityAtDocument, { table: 'customers', key, at: '2026-11-20T10:00:00Z' });
      expect(r.errors?.[0]?.extensions?.code, JSON.stringify(key)).toBe('AUDITQL_BAD_KEY');
    }
  });
});
