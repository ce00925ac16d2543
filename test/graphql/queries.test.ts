/** Every contract query over real HTTP against a real warehouse filled through the sink. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, ok, gql, type TestApi } from './helpers.js';
import { at, attribute, mkActivity, mkChange, mkContext, mkTransaction, store, storeEach } from './seed.js';
import {
  ActivityByUserDocument, ActivityDocument, ChangeByIdDocument, ChangesDocument, EntityHistoryDocument, TransactionDocument, WhoChangedDocument,
} from './generated.js';

let t: TestApi;
const T1 = '2026-11-20T09:00:00.000Z';
const T2 = '2026-11-20T10:00:00.000Z';
const T3 = '2026-11-20T11:00:00.000Z';
const T4 = '2026-11-20T12:00:00.000Z';
const DAY_BEFORE = '2026-11-19T12:00:00.000Z';
const seq: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApi();
  const w = t.w;
  [seq.c1001insert, seq.c1002insert, seq.c1001email, seq.orderInsert, seq.c1001other, seq.c1001name] = await storeEach(w, [
    mkChange({ operation: 'INSERT', key: { id: 1001 }, after: { id: 1001, name: 'Ann', email: 'ann@x' }, txId: 't1', committedAt: at(T1) }),
    mkChange({ operation: 'INSERT', key: { id: 1002 }, after: { id: 1002, name: 'Bo', email: 'bo@x' }, txId: 't1', committedAt: at(T1) }),
    mkChange({ key: { id: 1001 }, before: { id: 1001, name: 'Ann', email: 'ann@x' }, after: { id: 1001, name: 'Ann', email: 'ann@y' }, txId: 't2', committedAt: at(T2) }),
    mkChange({ operation: 'INSERT', table: 'order_lines', key: { order_id: 7, line_no: 1 }, after: { order_id: 7, line_no: 1, qty: 3 }, txId: 't2', committedAt: at(T2) }),
    mkChange({ operation: 'INSERT', database: 'other', key: { id: 1001 }, after: { id: 1001, name: 'Other' }, txId: 'o1', committedAt: at(T2), origin: { server: 'pg2', connection: null, user: null } }),
    mkChange({ key: { id: '1001' }, before: { id: 1001, name: 'Ann', email: 'ann@y' }, after: { id: 1001, name: 'Anna', email: 'ann@y' }, txId: 't3', committedAt: at(T3), format: 'maxwell' }),
  ]);
  await store(w, [
    mkActivity({ class: 'READ', command: 'SELECT', dbUser: 'bob', occurredAt: at(T1) }),
    mkActivity({ class: 'WRITE', command: 'UPDATE', commandText: 'update customers set email = $1 where id = $2', dbUser: 'bob', txId: 't2', occurredAt: at(T2), rowCount: 1 }),
    mkActivity({ class: 'DDL', command: 'CREATE TABLE', dbUser: 'alice', occurredAt: at(T3) }),
    mkActivity({ class: 'AUTH_FAILURE', command: 'CONNECT', dbUser: 'bob', occurredAt: at(T4), exitCode: '1', errorMessage: 'password authentication failed' }),
    mkActivity({ class: 'ERROR', command: 'UPDATE', dbUser: 'bob', occurredAt: at(T4), exitCode: '42P01' }),
    mkContext({ txId: 't2', content: { user: 'alice@example.com', requestId: 'r-9' } }),
    mkTransaction({ txId: 't2', status: 'BEGIN', occurredAt: at('2026-11-20T09:59:59Z') }),
    mkTransaction({ txId: 't2', status: 'END', occurredAt: at(T2), eventCount: 2 }),
  ]);
  await attribute(w, seq.c1001email!, { evidence: 'APP_CONTEXT', confidence: 'EXACT', appUser: 'alice@example.com' });
  await attribute(w, seq.c1001email!, { evidence: 'ACTIVITY_TX', confidence: 'EXACT', dbUser: 'bob', remoteHost: '10.0.0.5', clientApplication: 'psql' });
  await attribute(w, seq.c1001name!, { evidence: 'SOURCE', confidence: 'EXACT', dbUser: 'carol' });
});
afterAll(async () => {
  await t?.close();
});

describe('entityHistory', () => {
  it('returns an entity newest first, whatever JSON type the key values have', async () => {
    const asNumber = await ok(t.url, EntityHistoryDocument, { table: 'customers', key: { id: 1001 }, database: 'shop' });
    const asString = await ok(t.url, EntityHistoryDocument, { table: 'customers', key: { id: '1001' }, database: 'shop' });
    const ids = asNumber.entityHistory.edges.map((e) => e.node.id);
    expect(ids).toEqual([seq.c1001name, seq.c1001email, seq.c1001insert]);
    expect(asString.entityHistory.edges.map((e) => e.node.id)).toEqual(ids);
    expect(asNumber.entityHistory.edges.map((e) => e.node.committedAt)).toEqual([T3, T2, T1]);
    expect(asNumber.entityHistory.edges[2]!.node).toMatchObject({ operation: 'INSERT', database: 'shop', schema: 'public', table: 'customers', key: { id: 1001 } });
    expect(asNumber.entityHistory.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it('narrows by database and schema only when asked', async () => {
    const all = await ok(t.url, EntityHistoryDocument, { table: 'customers', key: { id: 1001 } });
    expect(all.entityHistory.edges.map((e) => e.node.database).sort()).toEqual(['other', 'shop', 'shop', 'shop']);
    const other = await ok(t.url, EntityHistoryDocument, { table: 'customers', key: { id: 1001 }, database: 'other' });
    expect(other.entityHistory.edges.map((e) => e.node.id)).toEqual([seq.c1001other]);
    const noSchema = await ok(t.url, EntityHistoryDocument, { table: 'customers', key: { id: 1001 }, schema: 'nope' });
    expect(noSchema.entityHistory.edges).toEqual([]);
  });

  it('matches composite keys in any column order and value type', async () => {
    const r = await ok(t.url, EntityHistoryDocument, { table: 'order_lines', key: { line_no: '1', order_id: 7 } });
    expect(r.entityHistory.edges.map((e) => e.node.id)).toEqual([seq.orderInsert]);
  });

  it('gives field changes, actor and transaction of each change', async () => {
    const r = await ok(t.url, EntityHistoryDocument, { table: 'customers', key: { id: 1001 }, database: 'shop' });
    const [name, email, insert] = r.entityHistory.edges.map((e) => e.node);
    expect(email!.fieldChanges).toEqual([
      { field: 'email', oldValue: 'ann@x', newValue: 'ann@y', oldValueKnown: true, newValueKnown: true, oldValueFrom: 'IMAGE', newValueFrom: 'IMAGE' },
    ]);
    expect(email!.actor).toMatchObject({ appUser: 'alice@example.com', dbUser: 'bob', remoteHost: '10.0.0.5', clientApplication: 'psql', confidence: 'EXACT' });
    expect(email!.actor!.evidence.map((e) => e.source)).toEqual(['APP_CONTEXT', 'ACTIVITY_TX']);
    expect(email!.transaction).toEqual({ id: 't2' });
    expect(name!.actor).toMatchObject({ dbUser: 'carol', appUser: null, evidence: [{ source: 'SOURCE' }] });
    expect(insert!.actor).toBeNull();
    expect(insert!.fieldChanges.map((f) => [f.field, f.oldValueFrom, f.oldValue, f.newValue])).toEqual([
      ['id', 'ABSENT', null, 1001], ['name', 'ABSENT', null, 'Ann'], ['email', 'ABSENT', null, 'ann@x'],
    ]);
  });
});

describe('whoChanged', () => {
  it('finds the changes that touched a field, with who made them', async () => {
    const r = await ok(t.url, WhoChangedDocument, { table: 'customers', key: { id: '1001' }, field: 'email' });
    // the email update, and the inserts (which set every field)
    expect(r.whoChanged.edges.map((e) => e.node.id)).toEqual([seq.c1001email, seq.c1001insert]);
    expect(r.whoChanged.edges[0]!.node.actor?.appUser).toBe('alice@example.com');
  });

  it('limits by time window: since inclusive, until exclusive', async () => {
    const r = await ok(t.url, WhoChangedDocument, { table: 'customers', since: T2, until: T3 });
    expect(r.whoChanged.edges.map((e) => e.node.id).sort()).toEqual([seq.c1001email, seq.c1001other].sort());
    const none = await ok(t.url, WhoChangedDocument, { table: 'customers', field: 'name', since: T4 });
    expect(none.whoChanged.edges).toEqual([]);
  });

  it('covers a whole table without a key', async () => {
    const r = await ok(t.url, WhoChangedDocument, { table: 'customers', field: 'name' });
    expect(r.whoChanged.edges.map((e) => e.node.id)).toEqual([seq.c1001name, seq.c1001other, seq.c1002insert, seq.c1001insert]);
  });
});

describe('activityByUser', () => {
  it("lists a user's activity newest first, with success and failure told apart", async () => {
    const r = await ok(t.url, ActivityByUserDocument, { user: 'bob' });
    const nodes = r.activityByUser.edges.map((e) => e.node);
    expect(nodes.map((n) => n.occurredAt)).toEqual([T4, T4, T2, T1]);
    expect(nodes.map((n) => [n.class, n.success])).toEqual([['ERROR', false], ['AUTH_FAILURE', false], ['WRITE', true], ['READ', true]]);
    expect(nodes[2]).toMatchObject({ command: 'UPDATE', rowCount: 1, transactionId: 't2', transaction: { id: 't2' }, remoteHost: '10.0.0.5' });
  });

  it('filters by classes and time', async () => {
    const writes = await ok(t.url, ActivityByUserDocument, { user: 'bob', classes: ['WRITE', 'DDL'] });
    expect(writes.activityByUser.edges.map((e) => e.node.class)).toEqual(['WRITE']);
    const window = await ok(t.url, ActivityByUserDocument, { user: 'bob', since: T2, until: T4 });
    expect(window.activityByUser.edges.map((e) => e.node.class)).toEqual(['WRITE']);
  });

  it('refuses an unknown class with AUDITQL_BAD_INPUT', async () => {
    const r = await gql(t.url, ActivityByUserDocument, { user: 'bob', classes: ['WRTIE'] });
    expect(r.errors?.[0]?.extensions?.code).toBe('AUDITQL_BAD_INPUT');
  });
});

describe('transaction', () => {
  it('gathers its changes, activity, context and boundaries', async () => {
    const r = await ok(t.url, TransactionDocument, { id: 't2' });
    expect(r.transaction).toMatchObject({
      id: 't2', server: 'pg1', changeCount: 2, activityCount: 1, committedAt: T2,
      beganAt: '2026-11-20T09:59:59.000Z', endedAt: T2, eventCount: 2,
      context: { user: 'alice@example.com', requestId: 'r-9' }, appUser: 'alice@example.com',
    });
    expect(r.transaction!.changes.edges.map((e) => e.node.id)).toEqual([seq.c1001email, seq.orderInsert]);
    expect(r.transaction!.activity.nodes.map((a) => a.command)).toEqual(['UPDATE']);
  });

  it('pages its changes with cursors', async () => {
    const p1 = await ok(t.url, TransactionDocument, { id: 't2', first: 1 });
    expect(p1.transaction!.changes.pageInfo.hasNextPage).toBe(true);
    const p2 = await ok(t.url, TransactionDocument, { id: 't2', first: 1, after: p1.transaction!.changes.pageInfo.endCursor });
    expect(p2.transaction!.changes.edges.map((e) => e.node.id)).toEqual([seq.orderInsert]);
    expect(p2.transaction!.changes.pageInfo.hasNextPage).toBe(false);
  });

  it('is null when unknown, and a server narrows it', async () => {
    expect((await ok(t.url, TransactionDocument, { id: 'nope' })).transaction).toBeNull();
    expect((await ok(t.url, TransactionDocument, { id: 't2', server: 'pg9' })).transaction).toBeNull();
    expect((await ok(t.url, TransactionDocument, { id: 'o1', server: 'pg2' })).transaction).toMatchObject({ id: 'o1', server: 'pg2', changeCount: 1 });
  });

  it('includes activity that attribution linked to its changes, even from a server named differently', async () => {
    const [c] = await storeEach(t.w, [mkChange({ table: 'linked', key: { id: 77 }, operation: 'INSERT', after: { id: 77 }, txId: 't9', committedAt: at(DAY_BEFORE) })]);
    const a = await store(t.w, [
      mkActivity({ command: 'INSERT', txId: 't9', server: 'pg1', dbUser: 'zed', occurredAt: at(DAY_BEFORE) }),
      mkActivity({ command: 'INSERT', txId: null, server: 'cluster-ABC', dbUser: 'zed', occurredAt: at(DAY_BEFORE) }),
      mkActivity({ command: 'SELECT', txId: 't9', server: 'elsewhere', dbUser: 'zed', occurredAt: at(DAY_BEFORE) }),
    ]);
    await attribute(t.w, c!, { evidence: 'ACTIVITY_SESSION', confidence: 'PROBABLE', dbUser: 'app_rw', activitySeq: a.seqs.activity[1] });
    const r = await ok(t.url, TransactionDocument, { id: 't9' });
    expect(r.transaction?.activityCount).toBe(2);
    expect(r.transaction?.activity.nodes.map((n) => n.id)).toEqual([a.seqs.activity[0], a.seqs.activity[1]]);
  });

  it('asks for a server when the id occurs on several', async () => {
    await store(t.w, [mkChange({ key: { id: 5 }, after: { id: 5 }, operation: 'INSERT', txId: 'dup', origin: { server: 'a', connection: null, user: null } }),
      mkChange({ key: { id: 6 }, after: { id: 6 }, operation: 'INSERT', txId: 'dup', origin: { server: 'b', connection: null, user: null } })]);
    const r = await gql(t.url, TransactionDocument, { id: 'dup' });
    expect(r.errors?.[0]?.extensions?.code).toBe('AUDITQL_BAD_INPUT');
    expect((await ok(t.url, TransactionDocument, { id: 'dup', server: 'b' })).transaction?.changeCount).toBe(1);
  });
});

describe('changes and activity with filters', () => {
  const ids = async (filter: object, order?: 'NEWEST_FIRST' | 'FEED_ORDER') =>
    (await ok(t.url, ChangesDocument, { filter, first: 100, order })).changes.edges.map((e) => e.node.id);

  it('filters changes by each field', async () => {
    expect(await ids({ table: 'customers', key: { id: '1002' } })).toEqual([seq.c1002insert]);
    expect(await ids({ table: 'customers', operations: ['UPDATE'] })).toEqual([seq.c1001name, seq.c1001email]);
    expect(await ids({ field: 'qty' })).toEqual([seq.orderInsert]);
    expect(await ids({ actor: 'alice@example.com' })).toEqual([seq.c1001email]);
    expect(await ids({ actor: 'bob' })).toEqual([seq.c1001email]);
    expect(await ids({ actor: 'carol' })).toEqual([seq.c1001name]);
    expect(await ids({ database: 'other' })).toEqual([seq.c1001other]);
    expect(await ids({ schema: 'public', table: 'order_lines' })).toEqual([seq.orderInsert]);
    expect(await ids({ transactionId: 't1' }, 'FEED_ORDER')).toEqual([seq.c1001insert, seq.c1002insert]);
    expect(await ids({ format: 'maxwell' })).toEqual([seq.c1001name]);
    expect(await ids({ server: 'pg2' })).toEqual([seq.c1001other]);
    expect(await ids({ source: 'nope' })).toEqual([]);
    expect(await ids({ since: T3, table: 'customers' })).toEqual([seq.c1001name]);
    expect(await ids({ until: T2, table: 'customers' }, 'FEED_ORDER')).toEqual([seq.c1001insert, seq.c1002insert]);
  });

  it('filters activity by user, class, command, success and time', async () => {
    const act = async (filter: object) => (await ok(t.url, ActivityDocument, { filter, first: 100 })).activity.edges.map((e) => [e.node.dbUser, e.node.class]);
    expect(await act({ success: false })).toEqual([['bob', 'ERROR'], ['bob', 'AUTH_FAILURE']]);
    expect(await act({ success: true, user: 'bob' })).toEqual([['bob', 'WRITE'], ['bob', 'READ']]);
    expect(await act({ commands: ['update'] })).toEqual([['bob', 'ERROR'], ['bob', 'WRITE']]);
    expect(await act({ classes: ['DDL'] })).toEqual([['alice', 'DDL']]);
    expect(await act({ user: 'alice' })).toEqual([['alice', 'DDL']]);
    expect(await act({ since: T2, until: T3 })).toEqual([['bob', 'WRITE']]);
    expect(await act({ transactionId: 't2' })).toEqual([['bob', 'WRITE']]);
    expect(await act({ database: 'nope' })).toEqual([]);
  });

  it('finds one change by id', async () => {
    const r = await ok(t.url, ChangeByIdDocument, { id: seq.c1001email! });
    expect(r.change).toMatchObject({ id: seq.c1001email, operation: 'UPDATE', transactionId: 't2' });
    expect((await ok(t.url, ChangeByIdDocument, { id: '999999' })).change).toBeNull();
  });
});
